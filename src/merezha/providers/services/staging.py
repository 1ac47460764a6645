"""The snapshot import's temporary tables, and the database-specific SQL of reading into them.

The file's rows are staged batch by batch (by `COPY` on PostgreSQL, by `executemany` on SQLite)
with the addresses they refer to, each matched once to a dwelling; the repeated (account,
service) pairs are found in SQL; and one join sorts the staged rows against the provider's
accounts into DIFF (created / updated / unchanged), on SQLite batch by batch while the rows are
staged. The import's session settings (PostgreSQL's `jit` and `work_mem`, SQLite's page cache)
are set here too, with the dialect helpers the merge uses (`is_postgres`, `distinct_from`). The
merge (`merge`) and the discrepancy report (`discrepancies`) read these tables; the merge keeps the
two branches of its own writes (how new accounts get their ids, how an account is updated), which
are its strategy rather than a spelling. See docs/explanation/snapshot-import.md.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction

from merezha.core.imports import ImportReport, RowError
from merezha.organisations.models import Service
from merezha.providers.models import Account, Discrepancy
from merezha.providers.snapshot_rows import STAGING_COLUMNS, CheckedTable
from merezha.registry.matching import MatchStatus, apartment_key, house_key
from merezha.registry.selectors import DwellingIndex

STAGING = "providers_snapshot_staging"
#: The staged rows sorted against the accounts (new, changed, unchanged), during the merge.
DIFF = "providers_snapshot_diff"
#: The addresses of the staged rows (`snapshot_rows.ADDRESS_WRITTEN`), each matched once.
ADDRESSES = "providers_snapshot_address"
ADDRESS_COLUMNS = (
    ("id", "integer PRIMARY KEY"),
    ("street", "varchar(120)"),
    ("house", "varchar(32)"),
    ("apartment", "varchar(16)"),
    ("dwelling_id", "bigint"),
    ("match_status", "varchar(16)"),
    ("kind", "varchar(32)"),
    ("detail", "varchar(300)"),
)
#: The columns of an account that come from the addresses table.
ADDRESS_TEXTS = ("match_status", "street", "house", "apartment")
SERVICE = Service._meta.db_table
#: PostgreSQL's memory for each sort or hash of the import (the default 4 MB spills to disk).
IMPORT_WORK_MEM = "128MB"


@dataclass
class DiffPlan:
    """What sorting the staged rows into DIFF needs (see `_diff_select`)."""

    provider_id: int
    #: Every service there is.
    service_ids: list[int]


@dataclass
class AddressContext:
    index: DwellingIndex
    #: street as written → its id in the register (None: not matched).
    streets: dict[str, int | None] = field(default_factory=dict)


def _address_match(ctx: AddressContext, street: str, house: str, apartment: str) -> tuple[Any, ...]:
    """(dwelling id, match status, discrepancy kind, detail) of an address as written."""
    # the common case without re-reading the street: a known street, house and apartment
    if street in ctx.streets:
        street_id = ctx.streets[street]
    else:
        sm = ctx.index.street_index.match(street)
        street_id = sm.street_id if sm.status is MatchStatus.MATCHED else None
        ctx.streets[street] = street_id
    if street_id is not None:
        building_id = ctx.index.buildings.get((street_id, house_key(house)))
        candidates = (
            ctx.index.dwellings.get((building_id, apartment_key(apartment)), []) if building_id else []
        )
        if len(candidates) == 1:
            return candidates[0], Account.Match.MATCHED, None, ""
    m = ctx.index.match(street=street, house=house, apartment=apartment)
    if m.status is MatchStatus.MATCHED:
        return m.dwelling_id, Account.Match.MATCHED, None, ""
    if m.status is MatchStatus.AMBIGUOUS:
        return None, Account.Match.AMBIGUOUS, Discrepancy.Kind.AMBIGUOUS_ADDRESS, m.reason
    if m.building_id is not None:
        return None, Account.Match.UNMATCHED, Discrepancy.Kind.UNKNOWN_DWELLING, m.reason
    return None, Account.Match.UNMATCHED, Discrepancy.Kind.UNMATCHED_ADDRESS, m.reason


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def distinct_from() -> str:
    """The operator of "differs, NULL included" (`IS DISTINCT FROM`; SQLite's `IS NOT`)."""
    return "IS DISTINCT FROM" if is_postgres() else "IS NOT"


def tables_create() -> None:
    pg = is_postgres()
    with connection.cursor() as cur:
        for name, table_columns in ((STAGING, STAGING_COLUMNS), (ADDRESSES, ADDRESS_COLUMNS)):
            columns = ", ".join(f"{column} {kind}" for column, kind in table_columns)
            cur.execute(f"DROP TABLE IF EXISTS {name}")
            cur.execute(f"CREATE TEMPORARY TABLE {name} ({columns}) {'ON COMMIT DROP' if pg else ''}")


def tables_drop() -> None:
    with connection.cursor() as cur:
        for name in (DIFF, STAGING, ADDRESSES):
            cur.execute(f"DROP TABLE IF EXISTS {name}")


def rows_stage(
    ctx: AddressContext,
    report: ImportReport,
    table: CheckedTable,
    progress: Callable[[str, int], None],
    *,
    progress_every: int,
    diff: DiffPlan | None = None,
) -> Totals | None:
    """Stage the file's rows batch by batch, with the addresses they refer to, each matched once.

    The faults of the rejected rows go to the report. Counts the rows in `report.rows_read` and
    calls `progress("reading", rows)` every `progress_every` rows. With `diff` (SQLite), each batch
    is also sorted into DIFF and counted as soon as it is staged, while the reader process reads
    on; the totals of DIFF are returned.
    """
    names = ", ".join(name for name, _ in STAGING_COLUMNS)
    address_names = ", ".join(name for name, _ in ADDRESS_COLUMNS)
    every = progress_every
    totals = None
    if diff is not None:
        diff_create(provider_id=diff.provider_id, empty=True)
        totals = Totals()
    with connection.cursor() as cur:
        if is_postgres():
            raw = cur.cursor

            def write(table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
                with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)

        else:
            # sqlite3's own executemany: Django's wrapper would tee the rows and keep them all
            def write(table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
                values = ", ".join(["?"] * (columns.count(",") + 1))
                sqlite3.Cursor.executemany(
                    cur.cursor, f"INSERT INTO {table} ({columns}) VALUES ({values})", rows
                )

        staged = 0
        for batch, faults, addresses in table.batches:
            report.errors.extend(RowError(*fault) for fault in faults)
            read = report.rows_read + len(batch)
            for rows in range(report.rows_read + every - report.rows_read % every, read + 1, every):
                report.rows_read = rows
                progress("reading", rows)
            report.rows_read = read
            if addresses:
                write(
                    ADDRESSES,
                    address_names,
                    [(*written, *_address_match(ctx, *written[1:])) for written in addresses],
                )
            write(STAGING, names, batch)
            if diff is not None and totals is not None:
                _diff_add(provider_id=diff.provider_id, after=staged)
                totals.add(diff_totals(service_ids=diff.service_ids, after=totals.rows))
            staged += len(batch)
        if is_postgres():
            cur.execute(f"ANALYZE {STAGING}")
            cur.execute(f"ANALYZE {ADDRESSES}")
    return totals


def duplicates_reject(report: ImportReport) -> bool:
    """Reject every copy of an (account, service) pair that the file gives more than once; True if any.

    The staged rows' index on (account, service) is built unique first: when it can be, no pair
    repeats (the usual case) and nothing needs looking for. Only when it cannot (a pair repeats,
    or a rejected row repeats a pair) is it built plain and the copies looked for.
    """
    with connection.cursor() as cur:
        try:
            with transaction.atomic():  # a savepoint: PostgreSQL aborts the transaction on an error
                cur.execute(f"CREATE UNIQUE INDEX {STAGING}_key ON {STAGING} (account, service_id)")
            repeated = []
        except IntegrityError:
            cur.execute(f"CREATE INDEX {STAGING}_key ON {STAGING} (account, service_id)")
            cur.execute(
                f"""SELECT s.line, s.account, sv.code, d.first_line, d.n
                    FROM {STAGING} s JOIN {SERVICE} sv ON sv.id = s.service_id JOIN (
                        SELECT account, service_id, MIN(line) AS first_line, COUNT(*) AS n
                        FROM {STAGING} WHERE rejected = 0 GROUP BY account, service_id HAVING COUNT(*) > 1
                    ) d ON d.account = s.account AND d.service_id = s.service_id
                    WHERE s.rejected = 0 ORDER BY s.line"""
            )
            repeated = cur.fetchall()
        for line, account, service, first_line, n in repeated:
            report.reject(
                line,
                "account",
                f"account {account} for {service} appears {n} times in the file (first on line {first_line})",
            )
        if repeated:
            # the pairs are found before any row changes: every copy is rejected, the last one too
            # (a correlated EXISTS would see the copies rejected before it, on SQLite)
            cur.execute(
                f"""UPDATE {STAGING} SET rejected = 1 WHERE rejected = 0 AND (account, service_id) IN (
                    SELECT account, service_id FROM {STAGING} WHERE rejected = 0
                    GROUP BY account, service_id HAVING COUNT(*) > 1)"""
            )
    return bool(repeated)


def _diff_select(*, provider_id: int) -> tuple[str, list[Any]]:
    """The join that sorts the valid staged rows against the provider's accounts (for DIFF).

    `state` is created, updated or unchanged; `moves` marks an existing account that changes its
    dwelling or is opened again; `touches` a row whose dwelling the search index must learn. On
    PostgreSQL a new account's `account_id` is already drawn from the accounts' id sequence, so
    the insert needs no second join to learn the ids (2.1 s of a first import of 600,000 rows).
    """
    acc = Account._meta.db_table
    pg = is_postgres()
    distinct = distinct_from()
    account_id = "a.id"
    if pg:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [acc])
            sequence = cur.fetchone()[0]
        account_id = f"CASE WHEN a.id IS NULL THEN nextval('{sequence}'::regclass) ELSE a.id END"
    moves = f"NOT a.is_active OR a.dwelling_id {distinct} ad.dwelling_id"
    changed = " OR ".join(
        f"a.{c} <> {'ad' if c in ADDRESS_TEXTS else 's'}.{c}"
        for c in ("closing", "match_status", "street", "house", "apartment", "payer", "tax_id")
    )
    touches = f"a.id IS NULL OR {moves} OR a.payer <> s.payer OR a.tax_id <> s.tax_id"
    sql = f"""SELECT s.account, s.service_id, ad.dwelling_id, ad.match_status, ad.street, ad.house,
            ad.apartment, s.payer, s.tax_id, s.closing, s.opening, s.charged, s.recalc, s.benefit,
            s.subsidy, s.paid,
            {account_id} AS account_id, a.dwelling_id AS old_dwelling_id,
            CASE WHEN a.id IS NULL THEN 'created' WHEN {moves} OR {changed} THEN 'updated'
                ELSE 'unchanged' END AS state,
            CASE WHEN a.id IS NOT NULL AND ({moves}) THEN 1 ELSE 0 END AS moves,
            CASE WHEN ad.dwelling_id IS NOT NULL AND ({touches}) THEN 1 ELSE 0 END AS touches
        FROM {STAGING} s JOIN {ADDRESSES} ad ON ad.id = s.address_id LEFT JOIN {acc} a
          ON a.provider_id = %s AND a.number = s.account AND a.service_id = s.service_id
        WHERE s.rejected = 0"""
    return sql, [provider_id]


def diff_create(*, provider_id: int, empty: bool = False) -> None:
    """DIFF: every valid staged row sorted against the provider's accounts, in one join.

    `empty`: only the table, for `_diff_add` to fill batch by batch while the rows are staged.
    """
    sql, params = _diff_select(provider_id=provider_id)
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {DIFF}")
        cur.execute(
            f"CREATE TEMPORARY TABLE {DIFF} {'ON COMMIT DROP' if is_postgres() else ''} AS "
            f"{sql}{' AND 1 = 0' if empty else ''}",
            params,
        )


def _diff_add(*, provider_id: int, after: int) -> None:
    """Add the staged rows after rowid `after` to DIFF (SQLite: a fresh table numbers rows 1, 2, 3…)."""
    sql, params = _diff_select(provider_id=provider_id)
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {DIFF} {sql} AND s.rowid > %s", [*params, after])


@dataclass
class Totals:
    rows: int = 0
    closing: int = 0
    unmatched: int = 0
    ambiguous: int = 0
    changes: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    #: The services of the rows.
    service_ids: set[int] = field(default_factory=set)
    #: The dwellings whose accounts appear, move (the dwelling left as well) or change payer.
    touched: set[int] = field(default_factory=set)

    def add(self, more: Totals) -> None:
        self.rows += more.rows
        self.closing += more.closing
        self.unmatched += more.unmatched
        self.ambiguous += more.ambiguous
        self.changes = {state: n + more.changes[state] for state, n in self.changes.items()}
        self.service_ids |= more.service_ids
        self.touched |= more.touched


def diff_totals(*, service_ids: list[int], after: int = 0) -> Totals:
    """Rows, closing total, address verdicts, changes, services and touched dwellings of DIFF.

    `after`: only DIFF's rows after that rowid (SQLite, batch by batch). The figures come in one
    pass, without GROUP BY (SQLite would sort every row for it); `service_ids`: every service.
    """
    where = f"WHERE rowid > {int(after)}" if after else ""
    distinct = distinct_from()
    has_service = ", ".join(
        f"COALESCE(MAX(CASE WHEN service_id = {int(sid)} THEN 1 ELSE 0 END), 0)" for sid in service_ids
    )
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT COUNT(*), COALESCE(SUM(closing), 0),
                    COALESCE(SUM(CASE WHEN match_status = %s THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN match_status = %s THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN state = 'created' THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN state = 'updated' THEN 1 ELSE 0 END), 0)
                    {", " + has_service if has_service else ""}
                FROM {DIFF} {where}""",
            [Account.Match.UNMATCHED, Account.Match.AMBIGUOUS],
        )
        rows, total, unmatched, ambiguous, created, updated, *has = (int(v) for v in cur.fetchone())
        # dwellings whose payers or account numbers the search index must learn
        cur.execute(
            f"""SELECT dwelling_id FROM {DIFF} {where} {"AND" if where else "WHERE"} touches = 1
                UNION SELECT old_dwelling_id FROM {DIFF} {where} {"AND" if where else "WHERE"}
                old_dwelling_id IS NOT NULL AND old_dwelling_id {distinct} dwelling_id"""
        )
        touched = {int(row[0]) for row in cur.fetchall()}
    return Totals(
        rows,
        total,
        unmatched,
        ambiguous,
        {"created": created, "updated": updated, "unchanged": rows - created - updated},
        {sid for sid, present in zip(service_ids, has, strict=True) if present},
        touched,
    )


def sqlite_cache_enlarge() -> int | None:
    """On SQLite, a 64 MB page cache for the merge into big indexes (default 2 MB); returns the old size."""
    if is_postgres():
        return None
    with connection.cursor() as cur:
        cur.execute("PRAGMA cache_size")
        previous = cur.fetchone()[0]
        cur.execute("PRAGMA cache_size = -65536")
    return int(previous)


def sqlite_cache_restore(previous: int | None) -> None:
    """Give SQLite its page cache back (`previous` from `sqlite_cache_enlarge`; None: nothing to do)."""
    if previous is not None:
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA cache_size = {int(previous)}")


def session_tune() -> None:
    """On PostgreSQL, the import transaction's planner settings (SET LOCAL: until it ends)."""
    if is_postgres():
        with connection.cursor() as cur:
            # the merge's estimates are far off before the new rows have statistics, and the JIT
            # then spends a second compiling each statement that runs in milliseconds
            cur.execute("SET LOCAL jit = off")
            # the merge's hash joins of 600,000 staged rows with as many accounts fit in memory
            # instead of spilling to disk in 16 batches
            cur.execute(f"SET LOCAL work_mem = '{IMPORT_WORK_MEM}'")
