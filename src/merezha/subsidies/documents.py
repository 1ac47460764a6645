"""Documents of the subsidy office: the certificate of payment status (PDF) and batch answer files."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from django.utils import timezone

from merezha.core.certificates import certificate_verify_url, qr_data_uri, render_pdf
from merezha.core.models import Certificate
from merezha.formats.writers import Column, write_csv, write_xlsx
from merezha.organisations.selectors import service_names
from merezha.subsidies.models import BatchCheck
from merezha.subsidies.rule import Verdict

BATCH_FILE_COLUMNS = [
    Column("line", "LINE", "N", 8),
    Column("tax_id", "IDCODE", "C", 16),
    Column("address", "ADRES", "C", 120),
    Column("family_type", "FAMILY", "C", 12),
    Column("match", "MATCH", "C", 10),
    Column("dwelling_id", "DWELLING", "N", 12),
    Column("dwelling", "DW_ADRES", "C", 120),
    Column("verdict", "VERDICT", "C", 24),
    Column("debt_total", "DEBT", "N", 12, 2),
    Column("overdue_total", "OVERDUE", "N", 12, 2),
    Column("threshold", "THRESHOLD", "N", 12, 2),
    Column("parameters_from", "PARAMS", "C", 10),
    Column("figures", "FIGURES", "C", 254),
    Column("reason", "REASON", "C", 254),
]


CERTIFICATE_TEMPLATE = "subsidies/certificate.html"


def debt_certificate_context(*, certificate: Certificate, request: Any = None) -> dict[str, Any]:
    """What the certificate's template prints: the figures as issued (its payload), read back as a
    verdict so that services read by name and the explanation is written for people."""
    url = certificate_verify_url(certificate=certificate, request=request)
    return {
        "cert": certificate,
        "p": certificate.payload,
        "verdict": Verdict.from_dict(certificate.payload, service_names()),
        "url": url,
        "qr": qr_data_uri(url),
        "issued": timezone.localtime(certificate.issued_at),
    }


def debt_certificate_pdf(*, certificate: Certificate, request: Any = None) -> bytes:
    """The printed certificate: number, date, issuer, every figure, and a QR code of the verify link."""
    return render_pdf(
        template=CERTIFICATE_TEMPLATE,
        context=debt_certificate_context(certificate=certificate, request=request),
        request=request,
    )


def batch_check_file(*, check: BatchCheck, file_format: str) -> bytes:
    """The batch answer as CSV (every line) or XLSX (sheet `lines`, and sheet `unmatched`)."""
    names = [c.name for c in BATCH_FILE_COLUMNS]
    rows = [[r.get(n, "") for n in names] for r in check.rows]
    fd, path = tempfile.mkstemp(suffix="." + file_format)
    os.close(fd)
    try:
        if file_format == "csv":
            write_csv(path, BATCH_FILE_COLUMNS, rows)
        else:
            unmatched = [
                [r["line"], r["tax_id"], r["address"], r["match"], r["reason"]]
                for r in check.rows
                if r["match"] != "matched"
            ]
            write_xlsx(
                path,
                BATCH_FILE_COLUMNS,
                rows,
                extra_sheets={"unmatched": [["line", "tax_id", "address", "match", "reason"], *unmatched]},
            )
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(path)
