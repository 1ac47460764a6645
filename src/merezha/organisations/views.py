"""The home page every user lands on (its role's), and the organisation's inbox."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merezha.core.inbox import HUB_SENDER, INBOX_ROLES
from merezha.core.roles import Role
from merezha.core.selectors import inbox_get, inbox_list
from merezha.core.services import inbox_acknowledge
from merezha.organisations.permissions import role_required
from merezha.organisations.selectors import organisation_names

#: The URL name of each role's home page. An app that builds a role's pages points its role here.
ROLE_HOME: dict[str, str] = {
    Role.ADMIN: "centre-home",
    Role.PROVIDER: "provider-home",
    Role.HOUSING: "housing-home",
    Role.SUBSIDY: "subsidy-home",
    Role.CASHIER: "desk-home",
    Role.MANAGER: "manager-home",
}


def home(request: HttpRequest) -> HttpResponse:
    """Anyone: the login page for a visitor, the role's home page for a user."""
    if not request.user.is_authenticated:
        return redirect("login")
    role = getattr(request.user, "role", "")
    if role in ROLE_HOME and request.user.organisation_id:  # type: ignore[union-attr]
        return redirect(ROLE_HOME[role])
    if request.user.is_superuser:
        return redirect("admin:index")
    return render(request, "home.html", {"title": _("No role assigned"), "figures": []}, status=403)


@role_required(*INBOX_ROLES)
def inbox(request: HttpRequest) -> HttpResponse:
    """Any organisation user: documents addressed to the user's own organisation."""
    documents = list(inbox_list(organisation_code=request.user.organisation.code)[:500])  # type: ignore[union-attr]
    senders = {HUB_SENDER: _("Merezha")} | organisation_names(codes={d.sender_code for d in documents})
    return render(request, "organisations/inbox.html", {"documents": documents, "senders": senders})


@require_POST
@role_required(*INBOX_ROLES)
def inbox_acknowledge_view(request: HttpRequest, document_id: int) -> HttpResponse:
    """Any organisation user: acknowledge a document of its own organisation (others: 404)."""
    document = inbox_get(organisation_code=request.user.organisation.code, document_id=document_id)  # type: ignore[union-attr]
    if document is None:
        raise Http404
    inbox_acknowledge(document=document, user=request.user)
    return redirect("inbox")
