"""The provider snapshot of exchange-v1 §2, applied as the provider's complete state.

How it runs (see docs/explanation/snapshot-import.md):

1. One transaction. The provider's row is locked, so two imports of one provider queue up.
2. The file is read and its rows checked by `providers.snapshot_rows` — for a big file in a reader
   process of its own, so that reading and checking overlap the work here — and staged batch by
   batch in a temporary table, by `COPY` on PostgreSQL, by `executemany` on SQLite. Each distinct
   address as written is matched once to a dwelling (`registry.selectors.dwelling_index_build`)
   and staged once. Nothing but the rejected rows' reasons stays in memory.
3. Repeated (account, service) pairs are found in SQL (a unique index proves there are none);
   then, if any row was rejected and the sender did not ask for `accept_partial`, the
   transaction is rolled back: nothing changed.
4. The merge is set-based: one join sorts the staged rows against the provider's accounts into
   a temporary table (created / updated / unchanged; on SQLite batch by batch while the rows are
   staged); one plain INSERT adds the new accounts and UPDATE … FROM moves the others to the new
   snapshot (on PostgreSQL a HOT update: see migration 0002); one `UPDATE` closes the accounts
   missing from the file; the period's figures go in by a plain INSERT (the period's first
   snapshot) or an upsert that skips unchanged figures; and the discrepancy report is a few
   `INSERT … SELECT`s, delivered to the provider's inbox. A crash anywhere rolls all of it back
   and the previous snapshot stays in force.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from merezha.core.identifiers import parse_date, parse_period
from merezha.core.imports import ImportRejected, ImportReport, RowError, columns_check, file_checksum
from merezha.core.models import InboxDocument
from merezha.core.money import Money
from merezha.core.services import inbox_deliver
from merezha.formats import FormatError, source_name
from merezha.formats.readers import sniff_format
from merezha.organisations.locks import organisation_lock
from merezha.organisations.models import Organisation, ProviderService, Service
from merezha.organisations.selectors import service_code_map
from merezha.providers.models import Account, AccountPeriod, Discrepancy, Snapshot
from merezha.providers.snapshot_rows import (
    PERIOD_COLUMNS,
    REQUIRED,
    SNAPSHOT_DBF_FIELDS,
    STAGING_COLUMNS,
    CheckedTable,
    Services,
    open_checked,
)
from merezha.registry.matching import MatchStatus, apartment_key, house_key
from merezha.registry.models import Person
from merezha.registry.selectors import DwellingIndex, dwelling_index_build

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
class _DiffPlan:
    """What sorting the staged rows into DIFF needs (see `_diff_select`)."""

    provider_id: int
    #: Every service there is.
    service_ids: list[int]


@dataclass
class _Context:
    index: DwellingIndex
    #: street as written → its id in the register (None: not matched).
    streets: dict[str, int | None] = field(default_factory=dict)


def _address_match(ctx: _Context, street: str, house: str, apartment: str) -> tuple[Any, ...]:
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


# --- staging -------------------------------------------------------------------------------------
def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _staging_create() -> None:
    pg = _is_postgres()
    with connection.cursor() as cur:
        for name, table_columns in ((STAGING, STAGING_COLUMNS), (ADDRESSES, ADDRESS_COLUMNS)):
            columns = ", ".join(f"{column} {kind}" for column, kind in table_columns)
            cur.execute(f"DROP TABLE IF EXISTS {name}")
            cur.execute(f"CREATE TEMPORARY TABLE {name} ({columns}) {'ON COMMIT DROP' if pg else ''}")


def _staging_drop() -> None:
    with connection.cursor() as cur:
        for name in (DIFF, STAGING, ADDRESSES):
            cur.execute(f"DROP TABLE IF EXISTS {name}")


def _staging_load(
    ctx: _Context,
    report: ImportReport,
    table: CheckedTable,
    progress: Callable[[str, int], None],
    *,
    diff: _DiffPlan | None = None,
) -> _Totals | None:
    """Stage the file's rows batch by batch, with the addresses they refer to, each matched once.

    The faults of the rejected rows go to the report. Counts the rows in `report.rows_read` and
    calls `progress("reading", rows)` every PROGRESS_EVERY rows. With `diff` (SQLite), each batch
    is also sorted into DIFF and counted as soon as it is staged, while the reader process reads
    on; the totals of DIFF are returned.
    """
    names = ", ".join(name for name, _ in STAGING_COLUMNS)
    address_names = ", ".join(name for name, _ in ADDRESS_COLUMNS)
    every = PROGRESS_EVERY
    totals = None
    if diff is not None:
        _diff_create(provider_id=diff.provider_id, empty=True)
        totals = _Totals()
    with connection.cursor() as cur:
        if _is_postgres():
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
                totals.add(_diff_totals(service_ids=diff.service_ids, after=totals.rows))
            staged += len(batch)
        if _is_postgres():
            cur.execute(f"ANALYZE {STAGING}")
            cur.execute(f"ANALYZE {ADDRESSES}")
    return totals


def _staging_reject_duplicates(report: ImportReport) -> bool:
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


# --- merge ---------------------------------------------------------------------------------------
def _diff_select(*, provider_id: int) -> tuple[str, list[Any]]:
    """The join that sorts the valid staged rows against the provider's accounts (for DIFF).

    `state` is created, updated or unchanged; `moves` marks an existing account that changes its
    dwelling or is opened again; `touches` a row whose dwelling the search index must learn. On
    PostgreSQL a new account's `account_id` is already drawn from the accounts' id sequence, so
    the insert needs no second join to learn the ids (2.1 s of a first import of 600,000 rows).
    """
    acc = Account._meta.db_table
    pg = _is_postgres()
    distinct = "IS DISTINCT FROM" if pg else "IS NOT"
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


def _diff_create(*, provider_id: int, empty: bool = False) -> None:
    """DIFF: every valid staged row sorted against the provider's accounts, in one join.

    `empty`: only the table, for `_diff_add` to fill batch by batch while the rows are staged.
    """
    sql, params = _diff_select(provider_id=provider_id)
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {DIFF}")
        cur.execute(
            f"CREATE TEMPORARY TABLE {DIFF} {'ON COMMIT DROP' if _is_postgres() else ''} AS "
            f"{sql}{' AND 1 = 0' if empty else ''}",
            params,
        )


def _diff_add(*, provider_id: int, after: int) -> None:
    """Add the staged rows after rowid `after` to DIFF (SQLite: a fresh table numbers rows 1, 2, 3…)."""
    sql, params = _diff_select(provider_id=provider_id)
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {DIFF} {sql} AND s.rowid > %s", [*params, after])


@dataclass
class _Totals:
    rows: int = 0
    closing: int = 0
    unmatched: int = 0
    ambiguous: int = 0
    changes: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    #: The services of the rows.
    service_ids: set[int] = field(default_factory=set)
    #: The dwellings whose accounts appear, move (the dwelling left as well) or change payer.
    touched: set[int] = field(default_factory=set)

    def add(self, more: _Totals) -> None:
        self.rows += more.rows
        self.closing += more.closing
        self.unmatched += more.unmatched
        self.ambiguous += more.ambiguous
        self.changes = {state: n + more.changes[state] for state, n in self.changes.items()}
        self.service_ids |= more.service_ids
        self.touched |= more.touched


def _diff_totals(*, service_ids: list[int], after: int = 0) -> _Totals:
    """Rows, closing total, address verdicts, changes, services and touched dwellings of DIFF.

    `after`: only DIFF's rows after that rowid (SQLite, batch by batch). The figures come in one
    pass, without GROUP BY (SQLite would sort every row for it); `service_ids`: every service.
    """
    where = f"WHERE rowid > {int(after)}" if after else ""
    distinct = "IS DISTINCT FROM" if _is_postgres() else "IS NOT"
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
    return _Totals(
        rows,
        total,
        unmatched,
        ambiguous,
        {"created": created, "updated": updated, "unchanged": rows - created - updated},
        {sid for sid, present in zip(service_ids, has, strict=True) if present},
        touched,
    )


def _merge_accounts(*, provider_id: int, snapshot_id: int, totals: _Totals) -> tuple[set[int], int | None]:
    """Write every valid row into the accounts from DIFF; returns the dwellings whose accounts
    appeared, moved (the dwelling left as well) or changed payer, and, when every account of the
    file is new and numbered here, the id before the first (see below).

    The new accounts go in by one plain INSERT, the others by UPDATE (on PostgreSQL a HOT update:
    no indexed column changes, and the table's fill factor leaves the room, migration 0002),
    instead of an upsert that probes the unique index once per row. On SQLite an UPDATE rewrites
    the (dwelling, is_active) index of every row it sets those columns of, so the accounts that
    stay where they were are updated without them. When every account of the file is new (a
    provider's first snapshot), SQLite numbers them in file order from the table's last id, as
    it would by itself, and the new ids need no second look-up.
    """
    acc = Account._meta.db_table
    pg = _is_postgres()
    columns = "dwelling_id, match_status, street, house, apartment, payer, tax_id, closing"
    counts = totals.changes
    first_id: int | None = None
    with connection.cursor() as cur:
        touched = totals.touched
        if not pg and counts["created"] == totals.rows:
            # DIFF was just made: its rowids are 1, 2, 3… in file order
            cur.execute(
                f"""SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{acc}'), 0),
                        COALESCE((SELECT MAX(id) FROM {acc}), 0))"""
            )
            first_id = int(cur.fetchone()[0])
            cur.execute(
                f"""INSERT INTO {acc} (id, provider_id, number, service_id, {columns}, snapshot_id, is_active)
                    SELECT %s + rowid, %s, account, service_id, {columns}, %s, TRUE FROM {DIFF}""",
                [first_id, provider_id, snapshot_id],
            )
            return touched, first_id
        # on PostgreSQL the new accounts' ids were drawn from the sequence in DIFF (`_diff_select`)
        ids = ("id, ", "account_id, ") if pg else ("", "")
        cur.execute(
            f"""INSERT INTO {acc} ({ids[0]}provider_id, number, service_id, {columns}, snapshot_id, is_active)
                SELECT {ids[1]}%s, account, service_id, {columns}, %s, TRUE FROM {DIFF} WHERE state = 'created'""",
            [provider_id, snapshot_id],
        )
        if counts["created"] and not pg:
            # the new accounts' ids, for their periods
            cur.execute(
                f"""UPDATE {DIFF} SET account_id = a.id FROM {acc} a
                    WHERE {DIFF}.account_id IS NULL AND a.provider_id = %s AND a.number = {DIFF}.account
                    AND a.service_id = {DIFF}.service_id""",
                [provider_id],
            )
        # every account of the file moves to the new snapshot; an unchanged one keeps its figures
        assignments = ", ".join(f"{c} = d.{c}" for c in columns.split(", "))
        if pg:
            cur.execute(
                f"""UPDATE {acc} SET {assignments}, snapshot_id = %s, is_active = TRUE
                    FROM {DIFF} d WHERE {acc}.id = d.account_id AND d.state = 'updated'""",
                [snapshot_id],
            )
        elif counts["updated"]:
            staying = ", ".join(f"{c} = d.{c}" for c in columns.split(", ") if c != "dwelling_id")
            cur.execute(
                f"""UPDATE {acc} SET {staying}, snapshot_id = %s
                    FROM {DIFF} d WHERE {acc}.id = d.account_id AND d.state = 'updated' AND d.moves = 0""",
                [snapshot_id],
            )
            cur.execute(
                f"""UPDATE {acc} SET {assignments}, snapshot_id = %s, is_active = TRUE
                    FROM {DIFF} d WHERE {acc}.id = d.account_id AND d.state = 'updated' AND d.moves = 1""",
                [snapshot_id],
            )
        if counts["unchanged"]:
            cur.execute(
                f"""UPDATE {acc} SET snapshot_id = %s
                    FROM {DIFF} d WHERE {acc}.id = d.account_id AND d.state = 'unchanged'""",
                [snapshot_id],
            )
    return touched, first_id


def _close_missing_accounts(*, provider_id: int, snapshot_id: int, kept: bool) -> tuple[int, set[int]]:
    """Accounts missing from the snapshot are no longer shown; a rejected row keeps its account as it was.

    Returns how many were closed and their dwellings (the search index forgets their payers).
    `kept`: some rows were rejected (only then can an account be kept open by one).
    """
    acc = Account._meta.db_table
    missing = "provider_id = %s AND is_active AND snapshot_id <> %s"
    if kept:
        missing += f""" AND NOT EXISTS (
            SELECT 1 FROM {STAGING} r WHERE r.rejected = 1 AND r.account = {acc}.number
            AND (r.service_id IS NULL OR r.service_id = {acc}.service_id))"""
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {acc} SET is_active = FALSE WHERE {missing} RETURNING dwelling_id",
            [provider_id, snapshot_id],
        )
        closed = cur.fetchall()
    return len(closed), {int(row[0]) for row in closed if row[0] is not None}


def _merge_periods(
    *, snapshot_id: int, period: dt.date, first_of_period: bool, first_id: int | None = None
) -> None:
    """The period's figures of every account of the file, from the merge's sorted rows.

    `first_of_period`: no snapshot of this provider for this period was applied before, so none of
    its accounts has figures for it (only this import writes them): a plain INSERT. Otherwise an
    upsert that leaves unchanged figures alone (the period keeps the snapshot that set them).
    `first_id`: the new accounts were numbered from it in DIFF's order (`_merge_accounts`).
    """
    per = AccountPeriod._meta.db_table
    columns = ", ".join((*PERIOD_COLUMNS, "closing"))
    account_id = "account_id" if first_id is None else f"{int(first_id)} + rowid"
    insert = f"""INSERT INTO {per} (snapshot_id, account_id, period, {columns})
        SELECT %s, {account_id}, %s, {columns} FROM {DIFF} WHERE {account_id} IS NOT NULL"""
    if not first_of_period:
        distinct = "IS DISTINCT FROM" if _is_postgres() else "IS NOT"
        changed = " OR ".join(f"{per}.{c} {distinct} excluded.{c}" for c in (*PERIOD_COLUMNS, "closing"))
        updates = ", ".join(f"{c} = excluded.{c}" for c in ("snapshot_id", *PERIOD_COLUMNS, "closing"))
        insert += f" ON CONFLICT (account_id, period) DO UPDATE SET {updates} WHERE {changed}"
    with connection.cursor() as cur:
        cur.execute(insert, [snapshot_id, period])


def _discrepancies_record(*, snapshot_id: int) -> dict[str, int]:
    """The report back to the provider: its data as it disagrees with the register, never corrected."""
    dis, person = Discrepancy._meta.db_table, Person._meta.db_table
    insert = (
        f"INSERT INTO {dis} (snapshot_id, account_number, service_code, line, kind, address, payer, detail)"
    )
    address = "SUBSTR(ad.street || ', ' || ad.house || CASE WHEN ad.apartment <> '' THEN ', ' || ad.apartment ELSE '' END, 1, 200)"
    rows = (
        f"{STAGING} s JOIN {ADDRESSES} ad ON ad.id = s.address_id JOIN {SERVICE} sv ON sv.id = s.service_id"
    )
    with connection.cursor() as cur:
        cur.execute(
            f"""{insert} SELECT %s, s.account, sv.code, s.line, ad.kind, {address}, s.payer, ad.detail
                FROM {rows} WHERE s.rejected = 0 AND ad.kind IS NOT NULL""",
            [snapshot_id],
        )
        cur.execute(
            f"""{insert} SELECT %s, s.account, sv.code, s.line, %s, {address}, s.payer,
                    SUBSTR(s.tax_detail, 1, 300)
                FROM {rows} WHERE s.rejected = 0 AND s.tax_detail <> ''""",
            [snapshot_id, Discrepancy.Kind.INVALID_TAX_ID],
        )
        cur.execute(
            f"""{insert} SELECT %s, s.account, sv.code, s.line, %s, {address}, s.payer,
                    SUBSTR('payer ' || s.payer || ' is not registered in the dwelling', 1, 300)
                FROM {rows} WHERE s.rejected = 0 AND ad.dwelling_id IS NOT NULL AND s.payer_key <> ''
                AND NOT EXISTS (SELECT 1 FROM {person} p WHERE p.dwelling_id = ad.dwelling_id
                                AND p.is_active AND p.surname_key = s.payer_key)""",
            [snapshot_id, Discrepancy.Kind.PAYER_NOT_REGISTERED],
        )
        cur.execute(
            f"""{insert} SELECT %s, s.account, sv.code, s.line, %s, {address}, s.payer,
                    SUBSTR(CASE WHEN EXISTS (SELECT 1 FROM {person} q WHERE q.dwelling_id = ad.dwelling_id
                                AND q.is_active AND q.surname_key = s.payer_key AND q.tax_id <> '')
                        THEN 'tax id ' || s.tax_id || ' differs from the register''s for ' || s.payer
                        ELSE 'tax id ' || s.tax_id || ' belongs to a person registered elsewhere' END, 1, 300)
                FROM {rows} WHERE s.rejected = 0 AND ad.dwelling_id IS NOT NULL AND s.tax_id <> ''
                AND s.tax_detail = ''
                AND NOT EXISTS (SELECT 1 FROM {person} p WHERE p.dwelling_id = ad.dwelling_id
                                AND p.is_active AND p.tax_id = s.tax_id)
                AND (EXISTS (SELECT 1 FROM {person} q WHERE q.dwelling_id = ad.dwelling_id
                             AND q.is_active AND q.surname_key = s.payer_key AND q.tax_id <> '')
                     OR EXISTS (SELECT 1 FROM {person} e WHERE e.tax_id = s.tax_id AND e.is_active))""",
            [snapshot_id, Discrepancy.Kind.TAX_ID_MISMATCH],
        )
        cur.execute(
            f"SELECT kind, COUNT(*) FROM {dis} WHERE snapshot_id = %s GROUP BY kind ORDER BY kind",
            [snapshot_id],
        )
        return {kind: int(n) for kind, n in cur.fetchall()}


#: The phases an import goes through, as `progress(phase, rows)` names them.
PROGRESS_PHASES = ("reading", "checking", "merging", "discrepancies")
#: `progress("reading", rows)` is called every this many rows.
PROGRESS_EVERY = 5_000


def _no_progress(phase: str, rows: int) -> None:
    return None


#: Sender code of the documents the hub itself issues.
HUB_SENDER = "hub"


def _discrepancy_report_deliver(*, snapshot: Snapshot, provider: Organisation, count: int) -> None:
    """The discrepancy report goes to the provider's inbox, with a checksum of its lines."""
    digest = hashlib.sha256()
    rows = (
        Discrepancy.objects.filter(snapshot=snapshot)
        .order_by("line", "id")
        .values_list("line", "account_number", "service_code", "kind", "detail")
    )
    for row in rows.iterator(chunk_size=5000):
        digest.update(("\t".join(str(v) for v in row) + "\n").encode())
    inbox_deliver(
        kind=InboxDocument.Kind.DISCREPANCY_REPORT,
        sender_code=HUB_SENDER,
        recipient_code=provider.code,
        values={"snapshot": snapshot.pk, "period": f"{snapshot.period:%Y-%m}", "count": count},
        object_type="providers.snapshot",
        object_id=str(snapshot.pk),
        checksum=digest.hexdigest(),
    )


def _provider_services_record(*, provider: Organisation, service_ids: set[int]) -> None:
    """Every service the provider uploads accounts for is one of its services (ProviderService)."""
    known = set(ProviderService.objects.filter(provider=provider).values_list("service_id", flat=True))
    ProviderService.objects.bulk_create(
        [ProviderService(provider=provider, service_id=sid) for sid in sorted(service_ids - known)]
    )


# --- the import ----------------------------------------------------------------------------------
def _metadata_resolve(
    report: ImportReport,
    *,
    provider: Organisation,
    period: dt.date | None,
    payments_through: dt.date | None,
    metadata: dict[str, str],
) -> tuple[dt.date | None, dt.date | None]:
    """Metadata from the arguments or the file's JSON keys; a contradiction between them is refused."""
    code = metadata.get("provider", "")
    if code and code != provider.code:
        report.reject(1, "provider", f"the file is provider {code}'s snapshot, not {provider.code}'s")
    for key, given, parser in (
        ("period", period, parse_period),
        ("payments_through", payments_through, parse_date),
    ):
        text = metadata.get(key, "")
        if not text:
            continue
        try:
            value = parser(text)
        except ValueError as exc:
            report.reject(1, key, str(exc))
            continue
        if given is not None and value != given:
            shown = given.strftime("%Y-%m") if key == "period" else given.isoformat()
            report.reject(1, key, f"the file says {key} {text}, the upload says {shown}")
        elif given is None:
            if key == "period":
                period = value
            else:
                payments_through = value
    if period is None:
        report.reject(1, "period", "no period: give it with the upload (YYYY-MM) or in the file")
    elif period.day != 1:
        report.reject(1, "period", f"a period is a month: {period.isoformat()} is not the first day of one")
    if payments_through is None:
        report.reject(
            1, "payments_through", "no payments_through: give it with the upload (YYYY-MM-DD) or in the file"
        )
    return period, payments_through


def _not_older_than_in_force(
    report: ImportReport, *, provider: Organisation, period: dt.date | None, payments_through: dt.date | None
) -> None:
    """A snapshot never goes back in time: an older one would resurrect balances already paid."""
    in_force = (
        Snapshot.objects.filter(provider=provider, status=Snapshot.Status.APPLIED).order_by("-id").first()
    )
    if in_force is None or in_force.period is None or in_force.payments_through is None:
        return
    if period is not None and period < in_force.period:
        report.reject(
            1,
            "period",
            f"period {period:%Y-%m} is older than the snapshot in force ({in_force.period:%Y-%m})",
        )
    if payments_through is not None and payments_through < in_force.payments_through:
        report.reject(
            1,
            "payments_through",
            f"payments_through {payments_through.isoformat()} is earlier than the snapshot in force "
            f"({in_force.payments_through.isoformat()})",
        )


def snapshot_import(
    source: str | IO[bytes],
    *,
    provider: Organisation,
    period: dt.date | None,
    payments_through: dt.date | None,
    accept_partial: bool = False,
    user: Any = None,
    name: str | None = None,
    snapshot: Snapshot | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> ImportReport:
    """Apply a provider snapshot (exchange-v1 §2) as the provider's complete state, atomically.

    Raises ImportRejected (nothing changed) when a row is rejected and `accept_partial` is off, when
    the metadata is missing or contradicts the arguments, or when the file cannot be read. Either
    way the upload is recorded as a `Snapshot` (applied or rejected) with its report; pass
    `snapshot` to fill in a waiting upload instead of creating a new one. `progress(phase, rows)`,
    when given, hears how far the import is: `reading` every 5,000 rows, then `checking`,
    `merging` and `discrepancies` (see PROGRESS_PHASES).
    """
    started = time.monotonic()
    report = ImportReport(file_name=source_name(source, name))
    try:
        checksum = file_checksum(source)
    except OSError:
        checksum = ""  # the reader says why the file cannot be opened
    previous_cache = _sqlite_cache_enlarge()
    try:
        with transaction.atomic():
            snap = _import_in_transaction(
                source,
                report,
                provider=provider,
                period=period,
                payments_through=payments_through,
                accept_partial=accept_partial,
                user=user,
                name=name,
                snapshot=snapshot,
                checksum=checksum,
                progress=progress or _no_progress,
            )
            report.elapsed = time.monotonic() - started
            snap.report = report.as_dict() | {"elapsed": round(report.elapsed, 3)}
            snap.save(update_fields=["report"])
    except ImportRejected:
        report.elapsed = time.monotonic() - started
        _snapshot_record_rejected(
            report,
            provider=provider,
            period=period,
            payments_through=payments_through,
            accept_partial=accept_partial,
            user=user,
            snapshot=snapshot,
            checksum=checksum,
        )
        raise
    finally:
        if previous_cache is not None:
            with connection.cursor() as cur:
                cur.execute(f"PRAGMA cache_size = {int(previous_cache)}")
    return report


def _format_sniffed(source: str | IO[bytes]) -> str:
    """The format a file refused before its rows were read looks like (`xlsx` for a damaged
    workbook), for the upload's record; empty when it is no exchange format or cannot be read."""
    try:
        if isinstance(source, str):
            with open(source, "rb") as fh:
                head = fh.read(4096)
        else:
            position = source.tell()
            source.seek(0)
            head = source.read(4096)
            source.seek(position)
        return sniff_format(head) if head else ""
    except (OSError, FormatError):
        return ""


def _sqlite_cache_enlarge() -> int | None:
    """On SQLite, a 64 MB page cache for the merge into big indexes (default 2 MB); returns the old size."""
    if _is_postgres():
        return None
    with connection.cursor() as cur:
        cur.execute("PRAGMA cache_size")
        previous = cur.fetchone()[0]
        cur.execute("PRAGMA cache_size = -65536")
    return int(previous)


def _snapshot_record_rejected(
    report: ImportReport,
    *,
    provider: Organisation,
    period: dt.date | None,
    payments_through: dt.date | None,
    accept_partial: bool,
    user: Any,
    snapshot: Snapshot | None,
    checksum: str,
) -> None:
    snap = snapshot or Snapshot(provider=provider, created_by=user if getattr(user, "pk", None) else None)
    snap.period = snap.period or period
    snap.payments_through = snap.payments_through or payments_through
    snap.accept_partial = accept_partial
    snap.file_name = report.file_name[:200] or snap.file_name
    snap.checksum = checksum
    snap.file_format = report.file_format
    snap.encoding = report.encoding
    snap.status = Snapshot.Status.REJECTED
    snap.rows_read = report.rows_read
    snap.rows_applied = 0
    snap.rows_rejected = report.rows_rejected
    snap.report = report.as_dict() | {"elapsed": round(report.elapsed, 3)}
    snap.save()


def _import_in_transaction(
    source: str | IO[bytes],
    report: ImportReport,
    *,
    provider: Organisation,
    period: dt.date | None,
    payments_through: dt.date | None,
    accept_partial: bool,
    user: Any,
    name: str | None,
    snapshot: Snapshot | None,
    checksum: str,
    progress: Callable[[str, int], None],
) -> Snapshot:
    # one import per provider at a time: the provider's row is the lock
    organisation_lock(organisation_id=provider.pk)
    services = service_code_map(provider=provider)
    service_ids = dict(Service.objects.values_list("code", "id"))
    _staging_create()
    if _is_postgres():
        with connection.cursor() as cur:
            # the merge's estimates are far off before the new rows have statistics, and the JIT
            # then spends a second compiling each statement that runs in milliseconds
            cur.execute("SET LOCAL jit = off")
            # the merge's hash joins of 600,000 staged rows with as many accounts fit in memory
            # instead of spilling to disk in 16 batches
            cur.execute(f"SET LOCAL work_mem = '{IMPORT_WORK_MEM}'")
    try:
        with open_checked(source, services=Services(services, service_ids), name=name) as table:
            report.file_name, report.file_format = table.name, table.format
            report.encoding = table.encoding or ""
            if table.format != "json":
                if not columns_check(
                    report,
                    columns=table.columns,
                    required=REQUIRED,
                    known=list(SNAPSHOT_DBF_FIELDS.values()),
                    line=table.header_line,
                ):
                    raise ImportRejected(report)
                if period is None or payments_through is None:
                    _metadata_resolve(
                        report,
                        provider=provider,
                        period=period,
                        payments_through=payments_through,
                        metadata={},
                    )
                    raise ImportRejected(report)
            # (built while a reader process reads the first rows ahead)
            ctx = _Context(index=dwelling_index_build())
            diff_plan = _DiffPlan(provider_id=provider.pk, service_ids=sorted(service_ids.values()))

            # the rows make no reference cycles; the cycle collector would only rescan the
            # address index and caches over and over (a quarter of the import's CPU time)
            gc_was_enabled = gc.isenabled()
            gc.disable()
            try:
                # on SQLite the rows are sorted against the accounts while the reader reads on
                loaded = _staging_load(
                    ctx, report, table, progress, diff=None if _is_postgres() else diff_plan
                )
            finally:
                if gc_was_enabled:
                    gc.enable()
            metadata = dict(table.metadata)
    except FormatError as exc:
        report.reject(exc.line or 1, exc.column, exc.reason)
        report.file_format = report.file_format or _format_sniffed(source)
        raise ImportRejected(report) from None
    period, payments_through = _metadata_resolve(
        report, provider=provider, period=period, payments_through=payments_through, metadata=metadata
    )
    _not_older_than_in_force(report, provider=provider, period=period, payments_through=payments_through)
    if any(e.line == 1 and e.column in ("provider", "period", "payments_through") for e in report.errors):
        raise ImportRejected(report, f"{report.file_name}: refused: {report.errors[-1]}")
    if report.rows_read == 0:
        report.reject(1, "", "the file has no rows")
        raise ImportRejected(report)
    progress("checking", report.rows_read)
    repeated = _staging_reject_duplicates(report)
    if report.errors and not accept_partial:
        raise ImportRejected(report)
    totals = loaded
    if totals is None or repeated:  # PostgreSQL, or rows rejected since they were sorted
        _diff_create(provider_id=provider.pk)
        totals = _diff_totals(service_ids=diff_plan.service_ids)
    rows, closing_total, unmatched, ambiguous = (
        totals.rows,
        totals.closing,
        totals.unmatched,
        totals.ambiguous,
    )
    if rows == 0:
        report.reject(1, "", "no row could be applied")
        raise ImportRejected(report)
    assert period is not None and payments_through is not None

    snap = snapshot or Snapshot(provider=provider, created_by=user if getattr(user, "pk", None) else None)
    snap.period, snap.payments_through, snap.accept_partial = period, payments_through, accept_partial
    snap.file_name = report.file_name[:200]
    snap.checksum, snap.file_format, snap.encoding = checksum, report.file_format, report.encoding
    snap.status = Snapshot.Status.RUNNING
    snap.save()

    progress("merging", report.rows_read)
    first_of_period = not Snapshot.objects.filter(
        provider=provider, period=period, status=Snapshot.Status.APPLIED
    ).exists()
    touched, first_id = _merge_accounts(provider_id=provider.pk, snapshot_id=snap.pk, totals=totals)
    changes = dict(totals.changes)
    changes["closed"], closed_in = _close_missing_accounts(
        provider_id=provider.pk, snapshot_id=snap.pk, kept=bool(report.errors)
    )
    report.touched_dwellings = touched | closed_in
    _merge_periods(snapshot_id=snap.pk, period=period, first_of_period=first_of_period, first_id=first_id)
    progress("discrepancies", report.rows_read)
    kinds = _discrepancies_record(snapshot_id=snap.pk)
    _provider_services_record(provider=provider, service_ids=totals.service_ids)
    _staging_drop()

    report.rows_applied = rows
    report.changes = changes
    report.applied = True
    discrepancies = sum(kinds.values())
    report.notes.append(
        f"snapshot {snap.pk} of {provider.code} for {period:%Y-%m}, payments through "
        f"{payments_through.isoformat()}: {rows} accounts, closing total {Money(closing_total)}"
    )
    report.notes.append(f"unmatched addresses: {unmatched}; ambiguous addresses: {ambiguous}")
    if discrepancies:
        detail = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        report.notes.append(f"discrepancies with the city register: {discrepancies} ({detail})")
    else:
        report.notes.append("discrepancies with the city register: 0")

    if discrepancies:
        _discrepancy_report_deliver(snapshot=snap, provider=provider, count=discrepancies)

    snap.status = Snapshot.Status.APPLIED
    snap.rows_read = report.rows_read
    snap.rows_applied = rows
    snap.rows_rejected = report.rows_rejected
    snap.closing_total = Money(closing_total)
    snap.unmatched = unmatched
    snap.discrepancy_count = discrepancies
    snap.applied_at = timezone.now()
    snap.save()
    return snap
