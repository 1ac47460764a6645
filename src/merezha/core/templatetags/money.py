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

from django import template

from merezha.core.formatting import money, uah

register = template.Library()
register.filter("money", money, is_safe=True)
register.filter("uah", uah, is_safe=True)
