"""`{{ code|name_of:names }}`: a code kept in a document's payload or a file (`water`, `VODO`) by the
name people read, from a mapping the view passes (`organisations.selectors.service_names()`); the
code itself when the mapping does not know it. Pages put the code in a tooltip beside the name.
"""

from __future__ import annotations

from collections.abc import Mapping

from django import template

register = template.Library()


@register.filter
def name_of(code: str, names: Mapping[str, str] | None) -> str:
    return (names or {}).get(code) or code
