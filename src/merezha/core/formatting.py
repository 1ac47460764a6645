"""How pages and printed documents show figures: one function per kind, the filters of every template
(`core.templatetags.figures` registers them) and the values of the catalogue's messages (`core.reasons`).

| filter | shows | for |
|---|---|---|
| `money` | `1 234,56` | an amount in a table column whose header names the currency |
| `uah` | `1 234,56 грн` | an amount on its own: totals, receipts, certificates, confirmations |
| `money_input` | `1234,56` | the value of an amount field (it parses back as it stands) |
| `date_ua` | `07.12.2026` | a date, a datetime's day, or a payload's ISO text |
| `period_ua` | `11.2026` | a period (a month): its first day, or `YYYY-MM` text |
| `datetime_ua` | `07.12.2026 14:05` | a moment (local time) |
| `area` | `66,9 м²` | a dwelling's area (Cyrillic `м`) |
| `count` | `10 001` | a count, thousands separated |

Separators are a narrow no-break space between thousands and a decimal comma, whatever the
interface language. Date formats come from `merezha.locale_formats.uk` (FORMAT_MODULE_PATH).
Files, the JSON API and the command line never go through these filters: they keep `1234.56` and
ISO dates. No value (None or "") is shown as the argument, empty by default.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils import formats, timezone

from merezha.core.money import Money, MoneyError

NNBSP = "\u202f"


def money(value: object, empty: str = "") -> object:
    """`1 234,56`: an amount (a `Money`, or its machine text `1234.56`); text that is no amount stays."""
    if value is None or value == "":
        return empty
    if isinstance(value, Money):
        return value.display()
    if isinstance(value, str | Decimal):
        try:
            return Money.parse(value).display()
        except MoneyError:
            return value
    return value


def uah(value: object, empty: str = "") -> object:
    """`1 234,56 грн`: an amount standing on its own (totals, receipts, certificates); no amount is
    `empty`, text that is no amount stays as it is."""
    if value is None or value == "":
        return empty
    if isinstance(value, Money):
        amount = value
    elif isinstance(value, str | Decimal | int) and not isinstance(value, bool):
        try:
            amount = Money.parse(value)
        except MoneyError:
            return value
    else:
        return value
    return f"{amount.display()}\u00a0грн"


def _grouped(whole: int) -> str:
    return f"{whole:,}".replace(",", NNBSP)


def _amount(value: object) -> Money | None:
    if isinstance(value, Money):
        return value
    if isinstance(value, str | Decimal | int) and not isinstance(value, bool):
        try:
            return Money.parse(value)
        except MoneyError:
            return None
    return None


def money_input(value: object) -> object:
    """`1234,56`: an amount field's value; text that is not an amount stays as typed."""
    if value is None or value == "":
        return ""
    amount = _amount(value)
    return amount.input_text() if amount is not None else value


def _date_of(value: object) -> dt.date | dt.datetime | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            return (
                dt.datetime.fromisoformat(text) if "T" in text or " " in text else dt.date.fromisoformat(text)
            )
        except ValueError:
            return None
    return None


def date_ua(value: object, empty: str = "") -> object:
    """`07.12.2026` (of a date, a datetime in local time, or ISO text); text that is no date stays."""
    return _when(value, empty, with_time=False)


def datetime_ua(value: object, empty: str = "") -> object:
    """`07.12.2026 14:05` (a datetime in local time; a date alone as `date_ua`)."""
    return _when(value, empty, with_time=True)


def _when(value: object, empty: str, *, with_time: bool) -> object:
    if value is None or value == "":
        return empty
    day = _local(value)
    if day is None:
        return value
    if isinstance(day, dt.datetime):
        if with_time:
            return formats.date_format(day, "SHORT_DATETIME_FORMAT")
        day = day.date()
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _local(value: object) -> dt.date | dt.datetime | None:
    day = _date_of(value)
    if isinstance(day, dt.datetime) and timezone.is_aware(day):
        return timezone.localtime(day)
    return day


def period_ua(value: object, empty: str = "") -> object:
    """`11.2026`: a period (a date in it, or `YYYY-MM` or ISO date text); text that is no period stays."""
    if value is None or value == "":
        return empty
    if isinstance(value, str):
        text = value.strip()
        try:
            value = dt.date.fromisoformat(text if len(text) > 7 else text + "-01")
        except ValueError:
            return value
    if not isinstance(value, dt.date):
        return value
    return formats.date_format(value, "YEAR_MONTH_FORMAT")


def area_number(value: object) -> str | None:
    """`66,9`: an area's figure without its unit (the `area` filter's), None for no number."""
    try:
        number = Decimal(str(value).replace(",", ".")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    sign = "-" if number < 0 else ""
    whole, _dot, cents = f"{abs(number):f}".partition(".")
    return sign + _grouped(int(whole)) + ("," + cents.rstrip("0") if cents.rstrip("0") else "")


def area(value: object, empty: str = "") -> object:
    """`66,9 м²`: to the hundredth, without trailing zeros (`54,3`, `70`, `1 234,56`)."""
    if value is None or value == "":
        return empty
    number = area_number(value)
    return value if number is None else f"{number}\u00a0м²"


def count(value: object, empty: str = "") -> object:
    """`10 001`: a whole number with its thousands separated."""
    if value is None or value == "":
        return empty
    if isinstance(value, bool):
        return value
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return value
    return ("-" if number < 0 else "") + _grouped(abs(number))
