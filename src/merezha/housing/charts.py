"""Charts as inline SVG, drawn on the server from exact figures (integer arithmetic, no JS)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from merezha.core.money import Money

BAR = "#0b5cad"


def _scaled(value: Money, top: Money, length: int) -> int:
    if not top.is_positive() or not value.is_positive():
        return 0
    return max(1, value.kopecks * length // top.kopecks)


def hbar_chart(*, items: Sequence[tuple[str, Money]], width: int = 760, label_width: int = 260) -> SafeString:
    """Horizontal bars: one row per (label, amount), the amount printed at the bar's end."""
    row = 22
    height = row * len(items) + 10
    bar_space = width - label_width - 110
    top = max((v for _, v in items), default=Money(0))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-family="DejaVu Sans, sans-serif" font-size="12">'
    ]
    for i, (label, value) in enumerate(items):
        y = 5 + i * row
        w = _scaled(value, top, bar_space)
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">{escape(label[:40])}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{w}" height="{row - 6}" fill="{BAR}">'
            f"<title>{escape(label)}: {value.display()}</title></rect>"
            f'<text x="{label_width + w + 6}" y="{y + 14}">{escape(value.display())}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above


def vbar_chart(*, items: Sequence[tuple[str, Money]], height: int = 260, bar: int = 48) -> SafeString:
    """Vertical bars: one column per (label, amount), e.g. debt by month."""
    gap = 12
    plot = height - 50
    width = max(200, len(items) * (bar + gap) + gap)
    top = max((v for _, v in items), default=Money(0))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-family="DejaVu Sans, sans-serif" font-size="11">'
    ]
    for i, (label, value) in enumerate(items):
        x = gap + i * (bar + gap)
        h = _scaled(value, top, plot)
        y = 20 + plot - h
        parts.append(
            f'<rect x="{x}" y="{y}" width="{bar}" height="{h}" fill="{BAR}">'
            f"<title>{escape(label)}: {value.display()}</title></rect>"
            f'<text x="{x + bar // 2}" y="{y - 4}" text-anchor="middle">{escape(value.display())}</text>'
            f'<text x="{x + bar // 2}" y="{height - 12}" text-anchor="middle">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above
