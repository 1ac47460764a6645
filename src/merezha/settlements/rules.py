"""The settlement rules that need no database: commission, banking days, IBANs, purposes.

Documented in docs/reference/settlement-matching.md; services and selectors both use them.
"""

from __future__ import annotations

import datetime as dt
import re

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from merezha.core.money import Money

PURPOSE_MAX = 140
#: a statement larger than this is refused (a day of 720 credits is about 1 MB)
STATEMENT_MAX_BYTES = 20 * 1024 * 1024
PURPOSE_TEXT = "Оплата за житлово-комунальні послуги згідно реєстру № {number} від {day}, {who}"


def commission_of(*, subtotal: Money, bp: int) -> Money:
    """subtotal × bp / 10000, rounded half up to the kopeck (exact integer arithmetic)."""
    k = subtotal.kopecks
    sign = -1 if k < 0 else 1
    return Money(sign * ((abs(k) * bp * 2 + 10_000) // 20_000))


def iban_normal(text: str) -> str:
    """An IBAN without spaces in capitals, if valid (schwifty); '' for a blank or invalid one."""
    raw = (text or "").replace(" ", "").upper()
    if not raw:
        return ""
    try:
        return str(IBAN(raw).compact)
    except SchwiftyException:
        return ""


def banking_days_after(day: dt.date, n: int) -> dt.date:
    """The n-th banking day (Monday to Friday) after `day`."""
    d = day
    while n > 0:
        d += dt.timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def purpose_for(*, register_number: int, day: dt.date, points: list[str], agent: str = "") -> str:
    if agent:
        who = f"агент {agent}"
    elif len(points) == 1:
        who = f"пункт {points[0]}"
    else:
        who = "пункти " + ", ".join(points)
    return PURPOSE_TEXT.format(number=register_number, day=day.strftime("%d.%m.%Y"), who=who)[:PURPOSE_MAX]


_NUMBER = re.compile(r"(?:№|#)\s*(\d+(?:\s*,\s*\d+)*)")


def purpose_numbers(purpose: str) -> tuple[set[int], str]:
    """The register numbers a purpose names (`№ 15`, `№ 15, 16`), and a last number cut short.

    A purpose cut at 140 characters may end inside a number: that number is returned as its
    digits (the second value) and matches any register number starting with them."""
    found: set[int] = set()
    cut = ""
    for m in _NUMBER.finditer(purpose):
        parts = [p.strip() for p in m.group(1).split(",")]
        if len(purpose) >= PURPOSE_MAX and m.end() == len(purpose):
            cut = parts.pop()
        found.update(int(p) for p in parts if p)
    return found, cut
