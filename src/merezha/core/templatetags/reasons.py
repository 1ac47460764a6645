"""`{{ error.reason|reason }}`: an import's English reason in the reader's language (`core.reasons`)."""

from __future__ import annotations

from django import template

from merezha.core.reasons import reason_localise

register = template.Library()


@register.filter
def reason(text: object) -> str:
    return reason_localise(str(text or ""))
