"""The figure filters of every template (settings: a builtin library): `money`, `uah`, `money_input`,
`date_ua`, `datetime_ua`, `period_ua`, `area`, `count`. What each shows is `merezha.core.formatting`'s,
the one implementation, which the catalogue's messages (`core.reasons`) use too."""

from __future__ import annotations

from django import template

from merezha.core import formatting

register = template.Library()
for _name, _safe in (
    ("money", True),
    ("uah", True),
    ("money_input", True),
    ("date_ua", False),
    ("datetime_ua", False),
    ("period_ua", False),
    ("area", True),
    ("count", True),
):
    register.filter(_name, getattr(formatting, _name), is_safe=_safe)
