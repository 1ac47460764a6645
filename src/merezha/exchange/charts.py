"""The management charts as inline SVG drawn on the server from exact integers (no script, no CDN).

Amounts per label use `housing.charts` (bars of Money); here are the charts it has not: bars of
any integer (counts) with the text people read beside each, and columns stacked by series. Bars
are scaled with integer arithmetic; every text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from merezha.core.money import Money

#: one colour per series (providers), repeated when there are more
PALETTE = ("#0b5cad", "#e07b00", "#1e7b34", "#b3261e", "#6a3d9a", "#008b8b", "#8c564b", "#c2185b", "#5b6475")
BAR = PALETTE[0]
FONT = 'font-family="DejaVu Sans, sans-serif"'


def _scaled(value: int, top: int, length: int) -> int:
    if top <= 0 or value <= 0:
        return 0
    return max(1, value * length // top)


def _svg(width: int, height: int, size: int, body: list[str]) -> SafeString:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" {FONT} font-size="{size}">'
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 - every text is escaped by the callers


def hbars(*, items: Sequence[tuple[str, int, str]], width: int = 860, label_width: int = 320) -> SafeString:
    """Horizontal bars: (label, value, text) per row, the text at the bar's end."""
    row = 22
    height = row * len(items) + 10
    space = width - label_width - 200
    top = max((v for _, v, _t in items), default=0)
    body = []
    for i, (label, value, text) in enumerate(items):
        y = 5 + i * row
        w = _scaled(value, top, space)
        body.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">{escape(label[:46])}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{w}" height="{row - 6}" fill="{BAR}">'
            f"<title>{escape(label)}: {escape(text)}</title></rect>"
            f'<text x="{label_width + w + 6}" y="{y + 14}">{escape(text)}</text>'
        )
    return _svg(width, height, 12, body)


def stacked_columns(
    *, labels: Sequence[str], series: Sequence[tuple[str, Sequence[Money]]], height: int = 300, bar: int = 34
) -> SafeString:
    """One column per label (a day) stacked by series (providers), with a legend; a tooltip per part."""
    gap = 10
    plot = height - 60
    width = max(760, len(labels) * (bar + gap) + gap)
    per_row = max(1, (width - gap) // 250)
    legend_rows = (len(series) + per_row - 1) // per_row
    totals = [sum(s[1][i].kopecks for s in series) for i in range(len(labels))]
    top = max(totals, default=0)
    body = []
    for i, label in enumerate(labels):
        x = gap + i * (bar + gap)
        y = 20 + plot
        for k, (name, values) in enumerate(series):
            h = _scaled(values[i].kopecks, top, plot)
            if not h:
                continue
            y -= h
            body.append(
                f'<rect x="{x}" y="{y}" width="{bar}" height="{h}" fill="{PALETTE[k % len(PALETTE)]}">'
                f"<title>{escape(label)} · {escape(name)}: {escape(values[i].display())}</title></rect>"
            )
        body.append(
            f'<text x="{x + bar // 2}" y="{20 + plot + 14}" text-anchor="middle">{escape(label)}</text>'
        )
        if totals[i]:
            body.append(
                f'<text x="{x + bar // 2}" y="{y - 4}" text-anchor="middle" font-size="8">'
                f"{escape(Money(totals[i]).display())}</text>"
            )
    for k, (name, _values) in enumerate(series):
        lx = gap + (k % per_row) * 250
        ly = 20 + plot + 30 + (k // per_row) * 16
        body.append(
            f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{PALETTE[k % len(PALETTE)]}"/>'
            f'<text x="{lx + 14}" y="{ly}">{escape(name[:36])}</text>'
        )
    return _svg(width, height + legend_rows * 16, 10, body)
