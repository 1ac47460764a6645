"""Inbox documents' titles, rendered in the reader's language from the document's kind and values.

A document keeps what its title says (`InboxDocument.values`: a register's number and day, a
report's month and line count…), not a sentence: every page renders the title through gettext
(`inbox_title`), so a provider reads «Реєстр платежів № 12 за 07.12.2026» in Ukrainian and the same
document in English when it picks English. The stored `title` is the English rendering of the same
values (the API's and the admin's), made by the same function. A document delivered before the
values were kept (empty `values`) shows its stored title.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from merezha.core.formatting import date_ua, period_ua
from merezha.core.roles import Role

#: the sender code of what the hub itself sends (registers, discrepancy reports)
HUB_SENDER = "hub"
#: the roles whose users read their organisation's inbox (every organisation user)
INBOX_ROLES = (Role.ADMIN, Role.PROVIDER, Role.HOUSING, Role.SUBSIDY, Role.CASHIER, Role.MANAGER)


def _day(text: Any) -> str:
    """ "2026-12-07" → "07.12.2026" (as pages show dates); anything else as it is."""
    return str(date_ua(str(text)))


def _month(text: Any) -> str:
    """ "2026-12" or "2026-12-01" → "12.2026"."""
    return str(period_ua(str(text)))


def _count(values: dict[str, Any], key: str) -> int:
    try:
        return int(values.get(key) or 0)
    except (TypeError, ValueError):
        return 0


def inbox_title(*, kind: str, values: dict[str, Any], fallback: str = "") -> str:
    """The title of a document of `kind` with `values`, in the active language."""
    v = values or {}
    if not v:
        return fallback
    if kind == "register":
        return _("Payment register No. %(number)s of %(day)s") % {
            "number": v.get("number", ""),
            "day": _day(v.get("day", "")),
        }
    if kind == "change_report":
        n = _count(v, "lines")
        return ngettext(
            "Change report of %(office)s for %(month)s: %(n)d change",
            "Change report of %(office)s for %(month)s: %(n)d changes",
            n,
        ) % {"office": v.get("office", ""), "month": _month(v.get("month", "")), "n": n}
    if kind == "discrepancy_report":
        n = _count(v, "count")
        return ngettext(
            "Discrepancies of snapshot %(snapshot)s for %(period)s: %(n)d",
            "Discrepancies of snapshot %(snapshot)s for %(period)s: %(n)d",
            n,
        ) % {"snapshot": v.get("snapshot", ""), "period": _month(v.get("period", "")), "n": n}
    if kind == "subsidy_decision":
        return _("Subsidy decision %(number)s for %(from)s–%(to)s") % {
            "number": v.get("number", ""),
            "from": _month(v.get("from", "")),
            "to": _month(v.get("to", "")),
        }
    if kind == "reminder":
        n = _count(v, "days")
        if v.get("reason") == "snapshot_late":
            if not v.get("last"):
                return _("Reminder: no snapshot has been uploaded yet")
            return ngettext(
                "Reminder: the last snapshot was applied %(n)d day ago (on %(last)s)",
                "Reminder: the last snapshot was applied %(n)d days ago (on %(last)s)",
                n,
            ) % {"n": n, "last": _day(v.get("last", ""))}
        if v.get("reason") == "unacknowledged":
            count = _count(v, "count")
            return ngettext(
                "Reminder: %(count)d document not acknowledged for more than %(n)d days",
                "Reminder: %(count)d documents not acknowledged for more than %(n)d days",
                count,
            ) % {"count": count, "n": n}
    return fallback


def inbox_title_english(*, kind: str, values: dict[str, Any]) -> str:
    """The stored title (the API's): the same rendering in English, at most 200 characters."""
    with translation.override("en"):
        return inbox_title(kind=kind, values=values)[:200]
