"""`{{ amount|money }}`: an amount of money as people read it on pages and printed documents.

`1 234,56` (narrow no-break space between thousands, decimal comma; `Money.display`), whatever the
interface language: the network's users are Ukrainian. The filter takes a `Money`, or the machine
form `1234.56` that documents' payloads keep (`str(Money)`); files, the API and form fields keep the
machine form and never go through it. No amount (None or "") is shown as the argument, empty by
default (`{{ a.overdue|money:"?" }}`); a text that is not an amount is shown unchanged.

`{{ amount|uah }}`: the same with the currency after it, `1 234,56 грн` (a no-break space before
it), where a sum stands alone: the cashier's desk, receipts, shift totals. No amount shows nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django import template

from merezha.core.money import Money, MoneyError

register = template.Library()


@register.filter(is_safe=True)
def money(value: object, empty: str = "") -> object:
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


@register.filter(is_safe=True)
def uah(value: object, empty: str = "") -> object:
    """`1 234,56 грн`: an amount standing on its own (totals, receipts, certificates); no amount is
    `empty`, text that is no amount stays as it is. The one implementation: `figures` registers it."""
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
