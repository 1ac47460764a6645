"""Rendering unified bills to PDF (WeasyPrint), and joining an office's parts into one file."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from merezha.portal import nbu_qr
from merezha.portal.selectors import Bill, access_code_display

LAYOUTS = ("a4x2", "a5")


class BillError(RuntimeError):
    """The bills could not be made (the reason says why)."""


def bill_context(bill: Bill) -> dict[str, Any]:
    return {
        "bill": bill,
        "access_code": access_code_display(bill.access_code) if bill.access_code else "",
        "dwelling_qr": nbu_qr.qr_png_data_uri(bill.code, scale=3),
        "lines": [
            {"line": line, "qr": nbu_qr.qr_png_data_uri(line.qr_url) if line.qr_url else ""}
            for line in bill.lines
        ],
    }


def bills_render(*, bills: list[Bill], layout: str | None = None, base_url: str | None = None) -> bytes:
    """The bills as one PDF: A4 with two bills a page (`a4x2`), or one A5 bill a page (`a5`)."""
    from weasyprint import HTML

    layout = layout or settings.PORTAL_BILL_LAYOUT
    if layout not in LAYOUTS:
        raise BillError(f"unknown bill layout {layout!r}: one of {', '.join(LAYOUTS)}")
    html = render_to_string(
        "portal/bill_pdf.html",
        {"bills": [bill_context(b) for b in bills], "layout": layout, "portal_url": settings.PORTAL_URL},
    )
    return HTML(string=html, base_url=base_url).write_pdf()


def pdf_join(parts: list[bytes]) -> bytes:
    """One PDF of the parts in order (poppler's pdfunite; one part is returned as it is)."""
    if len(parts) == 1:
        return parts[0]
    tool = shutil.which("pdfunite")
    if tool is None:
        raise BillError("pdfunite (poppler-utils) is needed to join the parts of a batch")
    with tempfile.TemporaryDirectory() as tmp:
        names = []
        for n, part in enumerate(parts):
            path = Path(tmp) / f"{n:05d}.pdf"
            path.write_bytes(part)
            names.append(str(path))
        out = Path(tmp) / "all.pdf"
        subprocess.run([tool, *names, str(out)], check=True, capture_output=True)
        return out.read_bytes()
