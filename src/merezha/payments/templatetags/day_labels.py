"""`{{ status|day_status }}`: an operational day's status as people read it (shift page, reconciliation).

The selectors answer `open`, `closed`, or `none` for a day with no payment yet.
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from merezha.payments.models import OperationalDay

register = template.Library()


@register.filter
def day_status(code: str) -> str:
    if code == "none":
        return _("no payments yet")
    return str(dict(OperationalDay.Status.choices).get(code, code))
