"""How pages and printed documents show figures: one filter per kind, in every template.

| filter | shows | for |
|---|---|---|
| `money` | `1 234,56` | an amount in a table column whose header names the currency |
| `uah` | `1 234,56 грн` | an amount on its own: totals, receipts, certificates, confirmations |
| `money_input` | `1234,56` | the value of an amount field (it parses back as it stands) |
| `date_ua` | `07.12.2026` | a date, a datetime's day, or a payload's ISO text |
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

from django import template
from django.utils import formats, timezone

from merezha.core.money import Money, MoneyError
from merezha.core.templatetags.money import money, uah

register = template.Library()
register.filter("money", money, is_safe=True)
register.filter("uah", uah, is_safe=True)

NNBSP = "\u202f"


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


@register.filter(is_safe=True)
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


@register.filter(is_safe=False)
def date_ua(value: object, empty: str = "") -> object:
    """`07.12.2026` (of a date, a datetime in local time, or ISO text); text that is no date stays."""
    return _when(value, empty, with_time=False)


@register.filter(is_safe=False)
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


@register.filter(is_safe=True)
def area(value: object, empty: str = "") -> object:
    """`66,9 м²`: to the hundredth, without trailing zeros (`54,3`, `70`, `1 234,56`)."""
    if value is None or value == "":
        return empty
    try:
        number = Decimal(str(value).replace(",", ".")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return value
    sign = "-" if number < 0 else ""
    whole, _dot, cents = f"{abs(number):f}".partition(".")
    text = _grouped(int(whole)) + ("," + cents.rstrip("0") if cents.rstrip("0") else "")
    return f"{sign}{text}\u00a0м²"


@register.filter(is_safe=True)
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
