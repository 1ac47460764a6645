"""Core pages: the organisation's inbox, the public certificate verification page, the site icon."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from merezha.core.certificates import certificate_verify
from merezha.core.figures import certificate_figures
from merezha.core.models import Certificate
from merezha.core.reasons import reason_localise
from merezha.core.roles import Role
from merezha.core.selectors import inbox_get, inbox_list
from merezha.core.services import inbox_acknowledge
from merezha.organisations.permissions import role_required
from merezha.organisations.selectors import organisation_names

#: a certificate's kind as a person names it
CERTIFICATE_KINDS: dict[str, object] = {
    Certificate.Kind.FAMILY_COMPOSITION: gettext_lazy("Family composition certificate"),
    Certificate.Kind.PAYMENT_STATUS: gettext_lazy("Payment status certificate"),
    Certificate.Kind.SUBSIDY_DEBT_STATUS: gettext_lazy("Debt status certificate for a subsidy"),
}
#: the sender code of what the hub itself sends (registers, discrepancy reports)
HUB_SENDER = "hub"
INBOX_ROLES = (Role.ADMIN, Role.PROVIDER, Role.HOUSING, Role.SUBSIDY, Role.CASHIER, Role.MANAGER)
#: The site icon: the letter М on the brand colour (browsers ask for /favicon.ico on every site).
ICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<rect width="32" height="32" rx="6" fill="#0b5cad"/>'
    '<path d="M7 24V8h3l6 9 6-9h3v16h-3.5V14l-5.5 8-5.5-8v10z" fill="#fff"/></svg>'
)


@require_GET
@cache_control(max_age=86400, public=True)
def site_icon(request: HttpRequest) -> HttpResponse:
    """Public (anyone, no login): the site icon, for every page including the admin's."""
    return HttpResponse(ICON_SVG, content_type="image/svg+xml")


@role_required(*INBOX_ROLES)
def inbox(request: HttpRequest) -> HttpResponse:
    """Any organisation user: documents addressed to the user's own organisation."""
    documents = list(inbox_list(organisation_code=request.user.organisation.code)[:500])  # type: ignore[union-attr]
    senders = {HUB_SENDER: _("Merezha")} | organisation_names(codes={d.sender_code for d in documents})
    return render(request, "core/inbox.html", {"documents": documents, "senders": senders})


@require_POST
@role_required(*INBOX_ROLES)
def inbox_acknowledge_view(request: HttpRequest, document_id: int) -> HttpResponse:
    """Any organisation user: acknowledge a document of its own organisation (others: 404)."""
    document = inbox_get(organisation_code=request.user.organisation.code, document_id=document_id)  # type: ignore[union-attr]
    if document is None:
        raise Http404
    inbox_acknowledge(document=document, user=request.user)
    return redirect("inbox")


def certificate_verify_view(request: HttpRequest, number: str = "") -> HttpResponse:
    """Public (anyone, no login): is this certificate genuine and unchanged?"""
    number = request.GET.get("n", number).strip()
    code = request.GET.get("c", "").strip()
    result = certificate_verify(number=number, code=code) if number else None
    cert = result.certificate if result else None
    return render(
        request,
        "core/certificate_verify.html",
        {
            "result": result,
            "cert": cert,
            "kind": CERTIFICATE_KINDS.get(cert.kind, cert.kind) if cert else "",
            "figures": certificate_figures(cert.payload) if cert and result and result.genuine else [],
            "reason": reason_localise(result.reason) if result else "",
            "number": number,
            "code": code,
        },
        status=200 if (result is None or result.genuine) else 404,
    )
