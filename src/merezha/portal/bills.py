"""Rendering unified bills to PDF (WeasyPrint), and joining an office's parts into one file."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from merezha.core.money import Money
from merezha.portal import nbu_qr
from merezha.portal.selectors import Bill, access_code_display

LAYOUTS = ("a4x2", "a5")


class BillError(RuntimeError):
    """The bills could not be made (the reason says why)."""


#: the geometry of a bill per layout (mm and pt): the page, the bill's box and side margins, the
#: characters of each figures column, the type sizes. The figures are DejaVu Sans Mono, whose every
#: glyph advances 0.602 em, so the columns fill the text width exactly at `mono_pt`.
_GEOMETRY: dict[str, dict[str, Any]] = {
    "a4x2": {"page": "A4", "per_page": 2, "width": 210, "height": 148.5, "side": 9, "column": 14, "name_pt": 7.2,
             "qr_rows": 1},
    "a5": {"page": "A5", "per_page": 1, "width": 148, "height": 210, "side": 8, "column": 11, "name_pt": 6.4,
           "qr_rows": 2},
}  # fmt: skip
MONO_ADVANCE = 0.60205  # em: 1233 of 2048 units, every glyph of DejaVu Sans Mono
PT_MM = 25.4 / 72
#: the figures' column headings, up to three lines each, in the order of `bill_context`'s figures
FIGURE_LABELS = (
    ("Борг на", "початок"),
    ("Нарахо-", "вано"),
    ("Перера-", "хунок"),
    ("Пільга",),
    ("Субсидія",),
    ("Сплачено",),
    ("Борг на", "кінець"),
    ("Сплачено", "в мережі", "після"),
    ("До сплати",),
)
#: the payment QR codes: at most QR_PITCH mm apart across (a 2 mm gap), the caption below in
#: QR_CAPTION mm; a bill with more codes than fit `qr_rows` rows of them draws them smaller
#: (never under QR_MIN mm: then a further row), and the ₴ circle stays a quarter of the code's side
#: (about 5% of its area; error level M corrects 15%)
QR_PITCH, QR_GAP, QR_CAPTION, QR_MIN = 30.0, 2.0, 6.0, 19.0


def _labels(width: int) -> str:
    """The headings as lines of text: each label right-aligned in its column, its last line at the bottom."""
    depth = max(len(label) for label in FIGURE_LABELS)
    lines = []
    for row in range(depth):
        cells = []
        for label in FIGURE_LABELS:
            n = row - (depth - len(label))
            cells.append((label[n] if n >= 0 else "").rjust(width))
        lines.append("".join(cells))
    return "\n".join(lines)


def _figure(value: Money | None, width: int) -> str:
    """An amount right-aligned in `width` characters; one too long for it (a debt of a million)
    keeps a space before it and pushes the rest of its line to the right."""
    return (" " + (value.display() if value is not None else "—")).rjust(width)


def _mm(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _qr_plan(layout: str, count: int) -> dict[str, Any]:
    """Where a bill's `count` payment QR codes go: their size, and each one's place (mm)."""
    spec = _GEOMETRY[layout]
    text_mm = spec["width"] - 2 * spec["side"]
    per_row = max(int(text_mm // QR_PITCH), -(-count // spec["qr_rows"]))
    pitch = min(QR_PITCH, text_mm / per_row)
    if pitch - QR_GAP < QR_MIN:
        pitch = QR_MIN + QR_GAP
        per_row = int(text_mm // pitch)
    size = pitch - QR_GAP
    down = size + QR_CAPTION
    rows = max(1, -(-count // per_row))
    return {
        "count": count,
        "width": _mm(pitch - 1),
        "size": _mm(size),
        "height": _mm(rows * down),
        "box": _mm(down),
        "circle": _mm(size / 4),
        "circle_at": _mm(size * 3 / 8),
        "left": _mm((pitch - 1 - size) / 2),
        "font": _mm(size / 28 * 9),
        "places": [(_mm(i % per_row * pitch), _mm(i // per_row * down)) for i in range(count)],
    }


def _geometry(layout: str, qr_counts: set[int]) -> dict[str, Any]:
    spec = _GEOMETRY[layout]
    text_mm = spec["width"] - 2 * spec["side"]
    chars = spec["column"] * len(FIGURE_LABELS)
    return {
        **spec,
        "height": _mm(spec["height"]),
        "name_pt": _mm(spec["name_pt"]),
        "mono_pt": f"{text_mm / (chars * MONO_ADVANCE * PT_MM):.2f}",
        "labels": _labels(spec["column"]),
        "qr_plans": [_qr_plan(layout, n) for n in sorted(qr_counts) if n],
    }


def bill_context(bill: Bill, *, layout: str = "a4x2", index: int = 0) -> dict[str, Any]:
    spec = _GEOMETRY[layout]
    width = spec["column"]
    lines = []
    for n, line in enumerate(bill.lines):
        before = (line.opening, line.charged, line.recalc, line.benefit, line.subsidy, line.paid)
        lines.append(
            {
                "line": line,
                "qr": nbu_qr.qr_png_data_uri(line.qr_url) if line.qr_url else "",
                "shade": n % 2 == 1,
                # the figures but the debt, and the debt (bold): one line of text each
                "figures": "".join(_figure(v, width) for v in (*before, line.closing, line.paid_since)),
                "debt": _figure(line.debt, width),
            }
        )
    total = "Усього до сплати"
    return {
        "bill": bill,
        "access_code": access_code_display(bill.access_code) if bill.access_code else "",
        "dwelling_qr": nbu_qr.qr_png_data_uri(bill.code),
        "lines": lines,
        "qrs": [item for item in lines if item["qr"]],
        "total": total + _figure(bill.total_debt, width * len(FIGURE_LABELS) - len(total)),
        # a bill that starts a page, or the second half of an A4 page
        "break": "" if index == 0 else ("page" if index % spec["per_page"] == 0 else "next"),
    }


def bills_render(*, bills: list[Bill], layout: str | None = None, base_url: str | None = None) -> bytes:
    """The bills as one PDF: A4 with two bills a page (`a4x2`), or one A5 bill a page (`a5`)."""
    from weasyprint import HTML

    layout = layout or settings.PORTAL_BILL_LAYOUT
    if layout not in LAYOUTS:
        raise BillError(f"unknown bill layout {layout!r}: one of {', '.join(LAYOUTS)}")
    contexts = [bill_context(b, layout=layout, index=n) for n, b in enumerate(bills)]
    html = render_to_string(
        "portal/bill_pdf.html",
        {
            "bills": contexts,
            "g": _geometry(layout, {len(c["qrs"]) for c in contexts}),
            "portal_url": settings.PORTAL_URL,
        },
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
