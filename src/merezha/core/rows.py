"""Model instances from hand-written SQL, for the few hot paths where compiling an ORM query costs
more than running it (the API token check and the payment, ≈ 1.5–2 ms of Python per query).

`columns` lists a model's concrete columns under a table alias, in field order; `instance` turns
those values of a row back into a model instance the way the ORM does (the backend's and the
field's converters, then `Model.from_db`), so the instance is the same as a queryset would give.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)

_Converters = list[tuple[int, list[Callable[..., Any]], Any]]
_converters_cache: dict[tuple[str, type[models.Model]], _Converters] = {}


def columns(connection: Any, model: type[models.Model], alias: str) -> str:
    """`"alias"."column", …` for every concrete field of `model`, in field order."""
    qn = connection.ops.quote_name
    return ", ".join(f"{qn(alias)}.{qn(f.column)}" for f in model._meta.concrete_fields)


def width(model: type[models.Model]) -> int:
    """How many values `columns` selects for `model`."""
    return len(model._meta.concrete_fields)


def _converters(connection: Any, model: type[models.Model]) -> _Converters:
    key = (connection.alias, model)
    found = _converters_cache.get(key)
    if found is None:
        found = []
        fields: list[Any] = list(model._meta.concrete_fields)
        for i, field in enumerate(fields):
            col = field.get_col(model._meta.db_table)
            convs = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
            if convs:
                found.append((i, convs, col))
        _converters_cache[key] = found
    return found


def value(connection: Any, model: type[models.Model], name: str, raw: Any) -> Any:
    """One selected column of `model`'s field `name`, converted as the ORM would."""
    field = model._meta.get_field(name)
    col = field.get_col(model._meta.db_table)  # type: ignore[union-attr]
    for conv in connection.ops.get_db_converters(col) + field.get_db_converters(connection):  # type: ignore[union-attr]
        raw = conv(raw, col, connection)
    return raw


def instance(connection: Any, model: type[M], values: Sequence[Any]) -> M:
    """The `model` instance of `values` (as selected by `columns`), loaded from `connection`'s database."""
    row = list(values)
    for i, convs, col in _converters(connection, model):
        value = row[i]
        for conv in convs:
            value = conv(value, col, connection)
        row[i] = value
    return model.from_db(connection.alias, None, row)  # type: ignore[arg-type]
