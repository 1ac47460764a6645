"""A certificate's figures for a person: the payload it froze, under labels in the reader's language.

The payload keeps English keys and machine values (`1234.56`, `2026-11-15`, `true`): that is what
the checksum covers and what the API returns. The public verification page shows it as a person
reads a certificate: each known key under its label, amounts as money, dates as `07.12.2026`,
yes/no in words, lists of rows as tables. Keys that only machines need (ids, codes beside their
names, flags that repeat a figure) are left out.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from merezha.core.money import Money, MoneyError

LABELS: dict[str, Any] = {
    "dwelling": _("Dwelling id"),
    "address": _("Address"),
    "area": _("Area, m²"),
    "as_of": _("As of"),
    "count": _("Registered persons"),
    "persons": _("Registered persons"),
    "residents": _("Residents"),
    "name": _("Name"),
    "birth_date": _("Birth date"),
    "relation_uk": _("Relation"),
    "registered_from": _("Registered from"),
    "accounts": _("Accounts"),
    "provider": _("Provider"),
    "provider_name": _("Provider"),
    "service_name": _("Service"),
    "account": _("Account"),
    "payer": _("Payer"),
    "debt": _("Debt"),
    "total_debt": _("Total owed"),
    "office": _("Housing office"),
    "status": _("Status"),
    "application_date": _("Application date"),
    "family_type": _("Family type"),
    "parameters": _("Rule parameters"),
    "valid_from": _("Valid from"),
    "months": _("Months"),
    "threshold": _("Threshold"),
    "threshold_large_family": _("Threshold for a large family"),
    "exemptions_enabled": _("Exemptions apply"),
    "debt_total": _("Total debt"),
    "overdue_total": _("Total overdue"),
    "period": _("Period"),
    "billed_recent": _("Billed recently"),
    "overdue": _("Overdue"),
    "months_in_debt": _("Months in debt"),
    "exempt": _("Exempt"),
    "exemption": _("Exemption"),
    "kind": _("Kind"),
    "from": _("From"),
    "to": _("To"),
    "note": _("Note"),
    "explanation": _("Explanation"),
}
#: keys of the payload not shown (ids, codes shown by their names, flags repeating a figure)
HIDDEN = frozenset(
    {
        "id",
        "dwelling_id",
        "account_id",
        "relation",
        "provider_code",
        "service",
        "blocked",
        "has_debt",
        "months_beyond_history",
        # the verdict's explanation as machines read it (service codes, `680.00`, ISO dates): its
        # figures are all shown above, and the printed certificate words it for people
        "explanation",
    }
)
#: the payloads name the provider by code beside its name: the name wins
SHADOWED = {"provider": "provider_name"}
MONEY_KEYS = frozenset(
    {
        "debt",
        "total_debt",
        "threshold",
        "threshold_large_family",
        "debt_total",
        "overdue_total",
        "billed_recent",
        "overdue",
    }
)
VALUE_LABELS: dict[str, Any] = {
    "clear": _("no debt that blocks a subsidy"),
    "blocked": _("a debt blocks the subsidy"),
    "insufficient_history": _("not enough payment history"),
    "regular": _("regular family"),
    "large": _("large family"),
    "foster": _("foster family"),
    "family_home": _("family-type children's home"),
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = re.compile(r"\d{4}-\d{2}")


@dataclass
class Figure:
    label: str
    value: str = ""
    #: a list of rows: its columns' labels and the rows' values
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    #: a nested group of figures
    figures: list[Figure] = field(default_factory=list)


def _value(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list):
        return "; ".join(_value(key, v) for v in value)
    text = str(value)
    if key in MONEY_KEYS:
        try:
            return Money.parse(text).display()
        except MoneyError:
            return text
    if _DATE.fullmatch(text):
        return dt.date.fromisoformat(text).strftime("%d.%m.%Y")
    if key == "period" and _MONTH.fullmatch(text):
        return f"{text[5:]}.{text[:4]}"
    if text in VALUE_LABELS:
        return str(VALUE_LABELS[text])
    return text


_ORDER = {key: i for i, key in enumerate(LABELS)}


def _keys(row: dict[str, Any], *, columns: bool = False) -> list[str]:
    """The keys to show, in the catalogue's order (PostgreSQL's JSONB does not keep a payload's
    order); in a table's columns the date of the figures comes last."""

    def rank(key: str) -> tuple[int, int]:
        return (1 if columns and key == "as_of" else 0, _ORDER.get(key, len(_ORDER)))

    shown = (
        k
        for k in row
        if k not in HIDDEN
        and not (k in SHADOWED and SHADOWED[k] in row)
        and not (k == "count" and "persons" in row)
    )
    return sorted(shown, key=rank)


def _label(key: str) -> str:
    return str(LABELS.get(key, key))


def certificate_figures(payload: dict[str, Any]) -> list[Figure]:
    """The payload's figures under their labels, in the catalogue's order."""
    out = []
    for key in _keys(payload):
        value = payload[key]
        if isinstance(value, dict):
            out.append(Figure(_label(key), figures=certificate_figures(value)))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns = [k for k in _keys(value[0], columns=True) if not isinstance(value[0][k], dict)]
            out.append(
                Figure(
                    _label(key),
                    columns=[_label(k) for k in columns],
                    rows=[[_value(k, row.get(k)) for k in columns] for row in value],
                )
            )
        else:
            out.append(Figure(_label(key), _value(key, value)))
    return out
