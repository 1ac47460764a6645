"""The one money type: an exact amount in hryvnias held as integer kopecks.

Parsing accepts what partners write: `1234.56`, `1 234,56`, `-4,38`, `+10`, `−5.00`
(Unicode minus). An amount is exact: a text with more than two decimal places (`10.005`) is
refused rather than rounded, unless the places beyond the second are zeros (`10.500`, a DBF
N(12,3) field). Spreadsheet floats (`220.54999999999998`) never reach this parser: the XLSX
and JSON readers take a number within a millionth of a two-place decimal as that decimal
(`formats.readers`). Output is always `1234.56` with a dot and two places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

_CENT = Decimal("0.01")
#: The smallest amount out of range: 10¹⁵ hryvnias (kopecks then still fit a bigint many times over).
_LIMIT = Decimal("1e15")
#: Sign, digits, at most one decimal separator (after spaces are removed and `,` is read as `.`).
_AMOUNT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009'")


class MoneyError(ValueError):
    """A text that is not an amount of money."""


@dataclass(frozen=True, order=True, slots=True)
class Money:
    kopecks: int = 0

    # --- construction -------------------------------------------------
    @classmethod
    def parse(cls, text: str | int | Decimal | Money) -> Money:
        if isinstance(text, Money):
            return text
        if isinstance(text, bool):
            raise MoneyError(f"not an amount: {text!r}")
        if isinstance(text, int):
            return cls(text * 100)
        if isinstance(text, Decimal):
            return cls.from_decimal(text)
        raw = str(text).strip().translate(_SPACES).replace("\u2212", "-").replace(",", ".")
        if not raw:
            raise MoneyError("empty amount")
        if not _AMOUNT.fullmatch(raw):
            raise MoneyError(f"not an amount: {text!r}")
        value = Decimal(raw)
        if abs(value) >= _LIMIT:  # before quantize, which cannot hold more than 28 digits
            shown = raw if len(raw) <= 40 else raw[:40] + "…"
            raise MoneyError(f"amount out of range: {shown}")
        if value != value.quantize(_CENT, rounding=ROUND_HALF_UP):
            raise MoneyError(f"more than two decimal places: {text!r} (the hub does not round amounts)")
        return cls.from_decimal(value)

    @classmethod
    def from_decimal(cls, value: Decimal) -> Money:
        if abs(value) >= _LIMIT:
            raise MoneyError(f"amount out of range: {value}")
        return cls(int(value.quantize(_CENT, rounding=ROUND_HALF_UP) * 100))

    @classmethod
    def zero(cls) -> Money:
        return cls(0)

    # --- views ----------------------------------------------------------
    @property
    def amount(self) -> Decimal:
        return (Decimal(self.kopecks) / 100).quantize(_CENT)

    def __str__(self) -> str:
        sign = "-" if self.kopecks < 0 else ""
        whole, cents = divmod(abs(self.kopecks), 100)
        return f"{sign}{whole}.{cents:02d}"

    def __repr__(self) -> str:
        return f"Money('{self}')"

    def display(self) -> str:
        """`1 234,56` as Ukrainian readers expect it (narrow no-break space, decimal comma)."""
        sign = "-" if self.kopecks < 0 else ""
        whole, cents = divmod(abs(self.kopecks), 100)
        return f"{sign}{whole:,}".replace(",", "\u202f") + f",{cents:02d}"

    def input_text(self) -> str:
        """`1234,56`: what an amount field shows (decimal comma, no thousands separator, so that the
        text typed back parses as it stands; `Money.parse` accepts a comma or a dot)."""
        return str(self).replace(".", ",")

    # --- arithmetic -----------------------------------------------------
    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.kopecks + other.kopecks)

    def __radd__(self, other: object) -> Money:
        if other == 0:
            return self
        if isinstance(other, Money):
            return Money(self.kopecks + other.kopecks)
        return NotImplemented

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.kopecks - other.kopecks)

    def __neg__(self) -> Money:
        return Money(-self.kopecks)

    def __abs__(self) -> Money:
        return Money(abs(self.kopecks))

    def __bool__(self) -> bool:
        return self.kopecks != 0

    def is_positive(self) -> bool:
        return self.kopecks > 0

    def is_negative(self) -> bool:
        return self.kopecks < 0

    @staticmethod
    def total(items: object) -> Money:
        acc = 0
        for item in items:  # type: ignore[attr-defined]
            acc += item.kopecks
        return Money(acc)
