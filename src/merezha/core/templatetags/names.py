"""Names people read for codes.

`{{ code|name_of:names }}`: a code kept in a document's payload or a file (`water`, `VODO`) by its
name, from a mapping the view passes (`organisations.selectors.service_names()`); the code itself
when the mapping does not know it. Pages put the code in a tooltip beside the name.

`{{ document|document_title }}`: an inbox document's title in the reader's language.
`{{ document.kind|document_kind }}`, `{{ document.status|document_status }}`: an inbox document's
kind and status (`subsidy_decision`, `delivered`) in words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from merezha.core.inbox import inbox_title

register = template.Library()

DOCUMENT_KINDS = {
    "register": _("Payment register"),
    "subsidy_decision": _("Subsidy decision"),
    "change_report": _("Change report"),
    "discrepancy_report": _("Discrepancy report"),
    "reminder": _("Reminder"),
}
DOCUMENT_STATUSES = {
    "delivered": _("Delivered"),
    "read": _("Read"),
    "acknowledged": _("Acknowledged"),
}


@register.filter
def name_of(code: str, names: Mapping[str, str] | None) -> str:
    return (names or {}).get(code) or code


@register.filter
def document_title(document: Any) -> str:
    """An inbox document's title in the reader's language (`core.inbox.inbox_title`)."""
    return inbox_title(kind=document.kind, values=document.values, fallback=document.title)


@register.filter
def document_kind(code: str) -> str:
    return str(DOCUMENT_KINDS.get(code, code))


@register.filter
def document_status(code: str) -> str:
    return str(DOCUMENT_STATUSES.get(code, code))
