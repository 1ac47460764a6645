"""Core pages: the public certificate verification page and the site icon.

The inbox pages are the organisations app's (`organisations.views`): they name the senders.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from merezha.core.certificates import certificate_verify
from merezha.core.figures import certificate_figures
from merezha.core.models import Certificate
from merezha.core.reasons import reason_localise

#: a certificate's kind as a person names it
CERTIFICATE_KINDS: dict[str, object] = {
    Certificate.Kind.FAMILY_COMPOSITION: gettext_lazy("Family composition certificate"),
    Certificate.Kind.PAYMENT_STATUS: gettext_lazy("Payment status certificate"),
    Certificate.Kind.SUBSIDY_DEBT_STATUS: gettext_lazy("Debt status certificate for a subsidy"),
}
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
