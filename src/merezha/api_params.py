"""Bounded query parameters of the JSON API's lists (kept apart from merezha.api so routers can import it).

A page of a list is `limit` items from `offset`. Both are bounded in the schema, so ninja answers
422 for a value outside the bounds before a route runs, and no number past the database's 64-bit
integers reaches an OFFSET: `Offset` is 0 to settings.API_MAX_OFFSET, `LimitN` 1 to N. `Id`
bounds an id in a path the same way.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.conf import settings
from pydantic import Field


def _limit(maximum: int) -> Any:
    return Field(ge=1, le=maximum, description=f"1 to {maximum} items")


#: How many items of a list: an integer from 1 to the number in the name.
Limit1000 = Annotated[int, _limit(1000)]
Limit10000 = Annotated[int, _limit(10000)]


#: Where a page starts: an integer from 0 to settings.API_MAX_OFFSET.
Offset = Annotated[
    int,
    Field(
        ge=0,
        le=settings.API_MAX_OFFSET,
        description=f"0 to {settings.API_MAX_OFFSET}: how many items to skip",
    ),
]

#: An object's id in a path: a positive 64-bit integer (a larger number is no id, and SQLite cannot
#: even compare it with a foreign key column): 422 otherwise.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
