"""Documents of the subsidy office: the certificate of payment status (PDF) and batch answer files."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from django.utils import timezone

from merezha.core.certificates import certificate_verify_url, qr_data_uri, render_pdf
from merezha.core.models import Certificate
from merezha.formats.writers import Column, write_csv, write_xlsx
from merezha.subsidies.models import BatchCheck

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


def debt_certificate_pdf(*, certificate: Certificate, request: Any = None) -> bytes:
    """The printed certificate: number, date, issuer, every figure, and a QR code of the verify link."""
    url = certificate_verify_url(certificate=certificate, request=request)
    issued = timezone.localtime(certificate.issued_at)
    return render_pdf(
        template="subsidies/certificate.html",
        context={
            "cert": certificate,
            "p": certificate.payload,
            "url": url,
            "qr": qr_data_uri(url),
            "issued": issued,
        },
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
