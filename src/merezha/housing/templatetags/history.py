"""The register's history as a person reads it: `{% load history %}{{ c.field|change_field }}`,
`{{ c|change_value:"new" }}`, `{{ c.source|change_source }}`. The history keeps codes (`moved_out`,
`ubd`, `import:1`); a page shows their names, with the code kept in the row's data."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_

from merezha.registry.models import BenefitCategory, Relation

register = template.Library()

FIELDS = {
    "reason": N_("Reason"),
    "benefit": N_("Benefit"),
    "relation": N_("Relation"),
    "area": N_("Area, m²"),
}
REASONS = {"moved_out": N_("moved out"), "died": N_("died")}


@register.filter
def change_field(code: str) -> str:
    return gettext(FIELDS[code]) if code in FIELDS else code


@register.filter
def change_value(change: Any, which: str = "new") -> str:
    value = change.new_value if which == "new" else change.old_value
    if not value:
        return ""
    if change.field == "reason":
        return gettext(REASONS[value]) if value in REASONS else value
    if change.field == "relation":
        return str(dict(Relation.choices).get(value, value))
    if change.field == "benefit":
        benefit = BenefitCategory.objects.filter(code=value).first()
        return str(benefit.name) if benefit else value
    if change.field == "area":
        return value.replace(".", ",")
    return value


@register.filter
def change_source(source: str) -> str:
    if source == "manual":
        return gettext("by hand")
    kind, _sep, ref = (source or "").partition(":")
    if kind == "import" and ref:
        return gettext("register import no. %(n)s") % {"n": ref}
    return source
