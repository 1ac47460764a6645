"""Issuing and verifying certificates (core.models.Certificate), and rendering documents to PDF."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from merezha.core.bulk import allocate_ids
from merezha.core.models import Certificate


def _canonical(kind: str, number: str, issuer_code: str, subject: str, payload: dict[str, Any]) -> bytes:
    body = {"kind": kind, "number": number, "issuer": issuer_code, "subject": subject, "payload": payload}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _code(digest: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), digest.encode(), hashlib.sha256).hexdigest()[:20]


@transaction.atomic
def certificate_issue(
    *, kind: str, issuer: Any, user: Any, subject: str, payload: dict[str, Any]
) -> Certificate:
    """Number, freeze and sign a certificate. `payload` holds every figure printed on it (JSON-safe)."""
    year = timezone.localdate().year
    pk = allocate_ids(Certificate, 1)[0]
    number = f"{year}-{pk:07d}"
    digest = hashlib.sha256(_canonical(kind, number, issuer.code, subject, payload)).hexdigest()
    return Certificate.objects.create(
        pk=pk,
        number=number,
        kind=kind,
        issuer_code=issuer.code,
        issuer_name=issuer.name,
        issued_by=user if getattr(user, "pk", None) else None,
        subject=subject,
        payload=payload,
        digest=digest,
        code=_code(digest),
    )


@dataclass(frozen=True)
class Verification:
    genuine: bool
    certificate: Certificate | None
    reason: str


def certificate_verify(*, number: str, code: str) -> Verification:
    """Genuine only when the number exists, the code matches, and the stored figures still hash to the digest."""
    cert = Certificate.objects.filter(number=number.strip()).first()
    if cert is None:
        return Verification(False, None, "unknown certificate number")
    if not hmac.compare_digest(cert.code, (code or "").strip().lower()):
        return Verification(False, None, "the verification code does not match this number")
    digest = hashlib.sha256(
        _canonical(cert.kind, cert.number, cert.issuer_code, cert.subject, cert.payload)
    ).hexdigest()
    if digest != cert.digest or _code(digest) != cert.code:
        return Verification(False, None, "the certificate's figures have been altered")
    return Verification(True, cert, "")


def certificate_verify_url(*, certificate: Certificate, request: Any = None) -> str:
    path = reverse("certificate-verify", args=[certificate.number]) + f"?c={certificate.code}"
    return request.build_absolute_uri(path) if request is not None else path


def qr_data_uri(text: str) -> str:
    """An SVG QR code as a data URI, to embed in HTML and PDF."""
    import segno

    svg = segno.make(text, error="m").svg_inline(scale=3)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def render_pdf(*, template: str, context: dict[str, Any], request: Any = None) -> bytes:
    """Render a template to PDF with WeasyPrint (DejaVu fonts carry Cyrillic)."""
    from weasyprint import HTML

    html = render_to_string(template, context, request=request)
    base_url = request.build_absolute_uri("/") if request is not None else None
    return HTML(string=html, base_url=base_url).write_pdf()
