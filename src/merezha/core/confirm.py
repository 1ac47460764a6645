"""A second step before what cannot be undone: the same POST again, with `confirm=1`.

A view calls `confirmation_needed(request)`; while it is true, it answers `confirmation_page(...)`,
which names what will happen and posts the same fields back with `confirm=1`. Done on the server,
so it holds without JavaScript and under any content security policy."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def confirmation_needed(request: HttpRequest) -> bool:
    return request.POST.get("confirm") != "1"


def confirmation_page(request: HttpRequest, *, question: str, detail: str, back: str) -> HttpResponse:
    """The question, what follows, the button that confirms (the same POST with `confirm=1`) and a
    link `back` that changes nothing."""
    fields = [
        (k, v)
        for k, values in request.POST.lists()
        for v in values
        if k not in ("csrfmiddlewaretoken", "confirm")
    ]
    return render(
        request,
        "core/confirm.html",
        {"question": question, "detail": detail, "back": back, "fields": fields, "action": request.path},
    )


def token_revoke_confirmation(request: HttpRequest, *, prefix: str, back: str) -> HttpResponse:
    """The question before revoking an API token (the provider's and the administrators' pages)."""
    return confirmation_page(
        request,
        question=_("Revoke the token %(prefix)s…?") % {"prefix": prefix},
        detail=_(
            "A revoked token stops working at once and cannot be restored; the system using it needs a new one."
        ),
        back=back,
    )
