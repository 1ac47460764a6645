"""Set-based writes: explicit ids allocated in one step, rows inserted with COPY (PostgreSQL) or executemany (SQLite).

The ORM's bulk_create prepares every field of every object in Python; for hundreds of thousands
of rows that dominates an import. These helpers write plain tuples instead. Callers pass values
already in their database form (MoneyField: integer kopecks; dates: `datetime.date`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` fresh primary keys for `model`, inside the caller's transaction.

    PostgreSQL draws them from the table's sequence; SQLite takes them above the current maximum
    (the caller's IMMEDIATE transaction holds the database's write lock, so nobody races it).
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f'SELECT COALESCE(MAX("{pk}"), 0) FROM "{table}"')
        start = int(cursor.fetchone()[0]) + 1
        return list(range(start, start + count))


_BATCH = 5000


def _batches(rows: Iterable[Sequence[Any]]) -> Iterable[list[Sequence[Any]]]:
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert tuples into `model`'s table; `columns` are database column names. Returns the count.

    Rows are taken in batches of 5,000, so memory stays bounded and `rows` may itself be a generator
    reading from the same connection (a batch is read first, then written).
    """
    table = model._meta.db_table
    cols = ", ".join(f'"{c}"' for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
            for batch in _batches(rows):
                with raw.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                    for row in batch:
                        copy.write_row(row)
                count += len(batch)
            return count
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f'INSERT INTO "{table}" ({cols}) VALUES ({placeholders})'
        for batch in _batches(rows):
            cursor.executemany(sql, batch)
            count += len(batch)
    return count
