"""Hand-written SQL for the few hot paths where compiling an ORM query costs more than running it
(the API token check and the payment: ≈ 1.5–2 ms of Python per ORM query).

`columns` lists a model's concrete columns under a table alias, in field order; `instance` turns
those values of a row back into a model instance the way the ORM does (the backend's and the
field's converters, then `Model.from_db`), so the instance is the same as a queryset would give.
`statement` builds a statement's text once per database; `hot_cursor` runs it, on PostgreSQL as a
prepared statement when connections persist (planned once per connection instead of every time).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from django.db import models

T = TypeVar("T")

M = TypeVar("M", bound=models.Model)

_Converters = list[tuple[int, list[Callable[..., Any]], Any]]
_converters_cache: dict[tuple[str, type[models.Model]], _Converters] = {}
_field_cache: dict[tuple[str, type[models.Model], str], tuple[list[Callable[..., Any]], Any]] = {}
_statements: dict[tuple[str, Hashable], Any] = {}


def statement(connection: Any, key: Hashable, build: Callable[[Any], T]) -> T:
    """`build(connection)` (a statement's text, or anything else that depends only on the database),
    made once per database alias and `key`, then reused."""
    cache_key = (connection.alias, key)
    try:
        return _statements[cache_key]  # type: ignore[no-any-return]
    except KeyError:
        built = _statements[cache_key] = build(connection)
        return built


def _prepares(raw: Any) -> bool:
    """Whether the driver's connection keeps prepared statements (Django's default: it does not)."""
    return getattr(raw, "prepare_threshold", None) is not None


def hot_cursor(connection: Any) -> Any:
    """A cursor for hand-written statements run on every request.

    On PostgreSQL, when the connection may keep prepared statements (settings: DB_PREPARED_STATEMENTS,
    on by default with persistent connections), each statement is prepared on its first run in a
    connection and only bound and executed after that (server-side binding), which spares
    PostgreSQL planning it again (≈ 0.2 ms per statement); otherwise it is Django's plain cursor.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    if not _prepares(raw):
        return connection.cursor()
    factory = raw.cursor_factory
    raw.cursor_factory = _preparing_cursor_class()
    try:  # Django's own cursor(): time zones, error wrapping and query logging as for any cursor
        return connection.cursor()
    finally:
        raw.cursor_factory = factory


def hot_call(connection: Any, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """PostgreSQL: one statement run on the driver's connection, its first row (None for none).

    For the single statement of the API's hot path: Django's cursor wrapper and the making of a
    cursor per call cost ≈ 0.2 ms of CPU around a call that is itself ≈ 0.5 ms. What the wrapper
    gives is kept: errors become Django's database errors (the driver's error as `__cause__`),
    the statement is logged while queries are (DEBUG, CaptureQueriesContext), and it is
    prepared once per connection when the connection keeps prepared statements (as `hot_cursor`).
    The caller manages the transaction (autocommit, or Django's `atomic`).
    """
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    prepare = _prepares(raw)
    with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        if connection.queries_logged:
            start = time.monotonic()
            try:
                cursor.execute(sql, params, prepare=prepare)
            finally:
                connection.queries_log.append(
                    {"sql": f"{sql} -- {list(params)!r}", "time": f"{time.monotonic() - start:.3f}"}
                )
        else:
            cursor.execute(sql, params, prepare=prepare)
        return cursor.fetchone()


_preparing: list[type] = []


def _preparing_cursor_class() -> type:
    """Django's server-side-binding cursor class for psycopg 3, preparing every statement it runs."""
    if not _preparing:
        from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]

        class PreparingCursor(ServerBindingCursor):  # type: ignore[misc, valid-type]
            def execute(
                self, query: Any, params: Any = None, *, prepare: bool | None = True, **kw: Any
            ) -> Any:
                return super().execute(query, params, prepare=prepare, **kw)

        _preparing.append(PreparingCursor)
    return _preparing[0]


def columns(connection: Any, model: type[models.Model], alias: str) -> str:
    """`"alias"."column", …` for every concrete field of `model`, in field order."""
    qn = connection.ops.quote_name
    return ", ".join(f"{qn(alias)}.{qn(f.column)}" for f in model._meta.concrete_fields)


def width(model: type[models.Model]) -> int:
    """How many values `columns` selects for `model`."""
    return len(model._meta.concrete_fields)


def _field_converters(connection: Any, field: Any) -> tuple[list[Callable[..., Any]], Any]:
    """The backend's and the field's converters of one column, as the ORM applies them, and the column."""
    col = field.get_col(field.model._meta.db_table)
    return connection.ops.get_db_converters(col) + field.get_db_converters(connection), col


def _converters(connection: Any, model: type[models.Model]) -> _Converters:
    key = (connection.alias, model)
    found = _converters_cache.get(key)
    if found is None:
        found = []
        for i, field in enumerate(model._meta.concrete_fields):
            convs, col = _field_converters(connection, field)
            if convs:
                found.append((i, convs, col))
        _converters_cache[key] = found
    return found


def value(connection: Any, model: type[models.Model], name: str, raw: Any) -> Any:
    """One selected column of `model`'s field `name`, converted as the ORM would (converters cached
    per database and field: this runs on every API request)."""
    key = (connection.alias, model, name)
    found = _field_cache.get(key)
    if found is None:
        found = _field_cache[key] = _field_converters(connection, model._meta.get_field(name))
    convs, col = found
    for conv in convs:
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
