"""Names people read for the subsidy office's codes: `{{ verdict.status|verdict_label }}`, and so on.

The codes (`blocked`, `large`, `court`, `unmatched`) stay in the API, the answer files and the
certificates' payloads; pages and printed certificates show these names. An unknown code is shown
as it is.
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from merezha.subsidies.models import Exemption, FamilyType
from merezha.subsidies.rule import BLOCKED, CLEAR, INSUFFICIENT_HISTORY

register = template.Library()

VERDICTS = {
    BLOCKED: _("debt blocks the subsidy"),
    CLEAR: _("debt does not block"),
    INSUFFICIENT_HISTORY: _("insufficient history: a person must decide"),
}
#: how a line of a batch check was matched to a household (`batch_check_run`'s `match`)
MATCHES = {
    "matched": _("matched"),
    "unmatched": _("not matched"),
    "ambiguous": _("several dwellings"),
    "invalid": _("invalid line"),
}


@register.filter
def verdict_label(code: str) -> str:
    return str(VERDICTS.get(code, code))


@register.filter
def match_label(code: str) -> str:
    return str(MATCHES.get(code, code))


@register.filter
def family_label(code: str) -> str:
    return str(dict(FamilyType.choices).get(code, code))


@register.filter
def exemption_label(code: str) -> str:
    return str(dict(Exemption.Kind.choices).get(code, code))
