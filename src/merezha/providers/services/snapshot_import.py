"""The provider snapshot of exchange-v1 §2, applied as the provider's complete state.

How it runs (see docs/explanation/snapshot-import.md):

1. One transaction. The provider's row is locked, so two imports of one provider queue up.
2. The file is streamed row by row through `formats.open_table`; each row is validated, its
   address matched to a dwelling (`registry.selectors.dwelling_index_build`, cached per distinct
   address, bounded) and written to a temporary staging table — by `COPY` on PostgreSQL, by a
   streamed `executemany` on SQLite. Nothing but the rejected rows' reasons stays in memory.
3. Repeated (account, service) pairs are found in SQL; then, if any row was rejected and the sender
   did not ask for `accept_partial`, the transaction is rolled back: nothing changed.
4. The merge is set-based: one join sorts the staged rows against the provider's accounts into
   a temporary table (created / updated / unchanged); one plain INSERT adds the new accounts and
   UPDATE … FROM moves the others to the new snapshot (on PostgreSQL a HOT update: see migration
   0002); one `UPDATE` closes the accounts missing from the file; the period's figures go in by a
   plain INSERT (the period's first snapshot) or an upsert that skips unchanged figures; and the
   discrepancy report is a few `INSERT … SELECT`s, delivered to the provider's inbox. A crash
   anywhere rolls all of it back and the previous snapshot stays in force.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from typing import IO, Any

from django.db import connection, transaction
from django.utils import timezone

from merezha.core.identifiers import parse_date, parse_period, tax_id_normalise
from merezha.core.imports import ImportRejected, ImportReport, columns_check, file_checksum
from merezha.core.models import InboxDocument
from merezha.core.money import Money, MoneyError
from merezha.core.services import inbox_deliver
from merezha.formats import FormatError, Table, open_table, source_name
from merezha.organisations.models import Organisation, ProviderService, Service
from merezha.organisations.selectors import service_code_map
from merezha.providers.models import Account, AccountPeriod, Discrepancy, Snapshot
from merezha.registry.matching import MatchStatus, apartment_key, fold, house_key
from merezha.registry.models import Person
from merezha.registry.selectors import DwellingIndex, dwelling_index_build

SNAPSHOT_DBF_FIELDS = {
    "LS": "account",
    "USLUGA": "service",
    "STREET": "street",
    "HOUSE": "house",
    "FLAT": "apartment",
    "FIO": "payer",
    "IDCODE": "tax_id",
    "SALDO_N": "opening",
    "NACH": "charged",
    "PERER": "recalc",
    "LGOTA": "benefit",
    "SUBS": "subsidy",
    "OPL": "paid",
    "SALDO_K": "closing",
}
REQUIRED = ("account", "service", "street", "house", "closing")
PERIOD_COLUMNS = ("opening", "charged", "recalc", "benefit", "subsidy", "paid")
#: Longest value of each text column (the model's field lengths).
MAX_LENGTH = {"account": 32, "street": 120, "house": 32, "apartment": 16, "payer": 200, "tax_id": 16}
STAGING = "providers_snapshot_staging"
#: The staged rows sorted against the accounts (new, changed, unchanged), during the merge.
DIFF = "providers_snapshot_diff"
#: The addresses of the staged rows, each as written and matched once (see `_address`).
ADDRESSES = "providers_snapshot_address"
#: One row per row of the file. Its address is a number in ADDRESSES: the texts of an address are
#: written once, not once per account and service (and a narrower row is cheaper to stage).
STAGING_COLUMNS = (
    ("line", "integer"),
    ("account", "varchar(32)"),
    ("service_id", "bigint"),
    ("address_id", "integer"),
    ("dwelling_id", "bigint"),
    ("payer", "varchar(200)"),
    ("payer_key", "varchar(80)"),
    ("tax_id", "varchar(16)"),
    ("tax_detail", "varchar(300)"),
    ("opening", "bigint"),
    ("charged", "bigint"),
    ("recalc", "bigint"),
    ("benefit", "bigint"),
    ("subsidy", "bigint"),
    ("paid", "bigint"),
    ("closing", "bigint"),
    ("rejected", "integer"),
)
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
MONEY_COLUMNS = (*PERIOD_COLUMNS, "closing")
#: The columns of an account that come from the addresses table.
ADDRESS_TEXTS = ("match_status", "street", "house", "apartment")
SERVICE = Service._meta.db_table
#: PostgreSQL's memory for each sort or hash of the import (the default 4 MB spills to disk).
IMPORT_WORK_MEM = "128MB"


_KOPECKS_CACHE_SIZE = 50_000
#: At most this many addresses and tax ids are remembered between rows.
_CACHE_SIZE = 50_000


class _KopecksCache(dict[str, int]):
    """Kopecks of each amount spelling, parsed once: amounts repeat a lot (`0`, tariffs).

    A hit is a plain dict lookup in C; a miss parses (MoneyError for a bad amount) and remembers
    at most `_KOPECKS_CACHE_SIZE` spellings.
    """

    def __missing__(self, text: str) -> int:
        value = _kopecks_parse(text)
        if len(self) < _KOPECKS_CACHE_SIZE:
            self[text] = value
        return value


def _kopecks_parse(text: str) -> int:
    """Kopecks of an amount as partners write it; the common `123,45` without the Decimal detour."""
    if 3 < len(text) <= 16 and text[-3] in ",.":
        digits = text[:-3] + text[-2:]  # `1234,56` → 123456 kopecks
        if digits.isascii():
            if digits.isdigit():
                return int(digits)
            if digits[0] == "-" and digits[1:].isdigit():
                return -int(digits[1:])
    whole, sep, frac = text.partition(",") if "," in text else text.partition(".")
    negative = whole[:1] == "-"
    if negative or whole[:1] == "+":
        whole = whole[1:]
    if (
        whole.isascii()
        and whole.isdigit()
        and len(whole) <= 13
        and (not sep or (frac.isascii() and frac.isdigit() and len(frac) <= 2))
    ):
        value = int(whole) * 100 + (int(frac) * (10 if len(frac) == 1 else 1) if frac else 0)
        return -value if negative else value
    return Money.parse(text).kopecks


#: One amount as most files write it: digits and two decimal places, or a bare `0`.
_PLAIN_AMOUNT = r"(?:-?[0-9]{1,13}[,.][0-9]{2}|0)"
#: A row's seven amounts (MONEY_COLUMNS joined by `;`) when every one of them is plain. Their kopecks
#: are then the digits without the decimal separator, read by `int` in C: no call per amount.
_PLAIN_AMOUNTS = re.compile(";".join([_PLAIN_AMOUNT] * len(MONEY_COLUMNS)))


def _plain_kopecks(texts: Sequence[str]) -> list[int] | None:
    """Kopecks of a row's seven amounts when all of them are plain (see _PLAIN_AMOUNTS), else None.

    The import's row loop does the same inline; this is the rule on its own, for the tests.
    """
    joined = ";".join(texts)
    if _PLAIN_AMOUNTS.fullmatch(joined) is None:
        return None
    return list(map(int, joined.replace(",", "").replace(".", "").split(";")))


#: The columns `_picker` gives of every row, in this order.
ROW_COLUMNS = ("account", "service", "street", "house", "apartment", "payer", "tax_id", *MONEY_COLUMNS)


def _picker(columns: list[str], *, lists: bool) -> Callable[[Any], Sequence[str]]:
    """A function giving a row's ROW_COLUMNS texts (`""` for a column the file lacks) in one C call.

    `lists`: rows are lists in the order of `columns` (CSV records); otherwise dictionaries.
    """
    if all(c in columns for c in ROW_COLUMNS):
        return itemgetter(*(columns.index(c) for c in ROW_COLUMNS) if lists else ROW_COLUMNS)
    if lists:
        width = len(columns)  # a column the file lacks is read from one empty text added at the end
        get = itemgetter(*(columns.index(c) if c in columns else width for c in ROW_COLUMNS))
        return lambda values: get([*values, ""])  # type: ignore[no-any-return]
    empty = ("",) * len(ROW_COLUMNS)
    return lambda row: tuple(map(row.get, ROW_COLUMNS, empty))


class _ServiceIds(dict[str, "int | None"]):
    """Service id of each service spelling of the file (code or alias, any case); None if unknown."""

    def __init__(self, services: dict[str, str], service_ids: dict[str, int]) -> None:
        super().__init__()
        self.services, self.service_ids = services, service_ids

    def __missing__(self, text: str) -> int | None:
        code = self.services.get(text.lower()) if text else None
        value = self.service_ids[code] if code else None
        if len(self) < _CACHE_SIZE:
            self[text] = value
        return value


@dataclass
class _Context:
    provider: Organisation
    services: dict[str, str]
    service_ids: dict[str, int]
    index: DwellingIndex
    #: The file states opening balances, so the consistency rule applies (JSON: row by row).
    has_period_columns: bool
    json_rows: bool = False
    #: (street, house, apartment) as written → (address id, dwelling id); bounded.
    addresses: dict[tuple[str, str, str], tuple[int, int | None]] = field(default_factory=dict)
    #: Addresses numbered since they were last written to the addresses table (ADDRESS_COLUMNS).
    addresses_new: list[tuple[Any, ...]] = field(default_factory=list)
    address_last_id: int = 0
    streets: dict[str, int | None] = field(default_factory=dict)
    kopecks: _KopecksCache = field(default_factory=_KopecksCache)
    #: payer as written → folded surname; bounded.
    payer_keys: dict[str, str] = field(default_factory=lambda: {"": ""})
    tax_ids: dict[str, tuple[str, str]] = field(default_factory=dict)
    service_spellings: _ServiceIds = field(init=False)

    def __post_init__(self) -> None:
        self.service_spellings = _ServiceIds(self.services, self.service_ids)


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


def _address(ctx: _Context, street: str, house: str, apartment: str) -> tuple[int, int | None]:
    """(address id, dwelling id) of an address as written: matched once, then remembered (bounded).

    A new address gets the next id and waits in `ctx.addresses_new` for the addresses table. After
    the memory is cleared, an address seen again is numbered again: two ids of the same address.
    """
    key = (street, house, apartment)
    found = ctx.addresses.get(key)
    if found is not None:
        return found
    if len(ctx.addresses) >= _CACHE_SIZE:
        ctx.addresses.clear()  # bounded: memory stays flat whatever the file size
    dwelling_id, status, kind, detail = _address_match(ctx, street, house, apartment)
    ctx.address_last_id += 1
    found = (ctx.address_last_id, dwelling_id)
    ctx.addresses_new.append(
        (ctx.address_last_id, street, house, apartment, dwelling_id, status, kind, detail)
    )
    ctx.addresses[key] = found
    return found


def _payer_key(ctx: _Context, payer: str) -> str:
    """The payer's surname folded as the register folds residents' (`Person.surname_key`)."""
    key = ctx.payer_keys.get(payer)
    if key is None:
        if len(ctx.payer_keys) >= _CACHE_SIZE:
            ctx.payer_keys.clear()
            ctx.payer_keys[""] = ""
        key = ctx.payer_keys[payer] = fold(payer.split(None, 1)[0])[:80]
    return key


def _tax_id(ctx: _Context, raw: str) -> tuple[str, str]:
    """(value as stored, reason it is invalid or ""). The provider's value is kept as written."""
    found = ctx.tax_ids.get(raw)
    if found is None:
        if len(ctx.tax_ids) >= _CACHE_SIZE:
            ctx.tax_ids.clear()
        try:
            found = (tax_id_normalise(raw), "")
        except ValueError as exc:
            found = (raw, str(exc))
        ctx.tax_ids[raw] = found
    return found


def _staged_rows(
    ctx: _Context, report: ImportReport, table: Table, progress: Callable[[str, int], None]
) -> Iterator[tuple[Any, ...]]:
    """The staging tuple (STAGING_COLUMNS) of every row of the file; a rejected row has `rejected` = 1.

    A well-formed row takes the fast path written out in this loop: its texts picked in one call,
    its seven amounts checked by one regex and read by `int` (or one by one through the cache
    when they are not all plain), its address, payer and tax id looked up in caches. Anything
    doubtful goes through `_parse_row_checked`, which names every fault of the row. Counts the
    rows in `report.rows_read` and calls `progress("reading", rows)` every PROGRESS_EVERY rows.
    """
    header = table.columns
    lists = table.records is not None
    source: Iterator[tuple[int, Any]] = table.records if table.records is not None else table.rows
    pick = _picker(header, lists=lists)
    # all seven amount columns present: try the plain spelling of all of them at once
    plain = (
        _PLAIN_AMOUNTS.fullmatch if not ctx.json_rows and all(c in header for c in MONEY_COLUMNS) else None
    )
    services, kopecks, addresses, payer_keys = (
        ctx.service_spellings,
        ctx.kopecks,
        ctx.addresses,
        ctx.payer_keys,
    )
    period_rule, json_rows, every = ctx.has_period_columns, ctx.json_rows, PROGRESS_EVERY
    rows = report.rows_read
    try:
        for line, row in source:
            rows += 1
            if rows % every == 0:
                report.rows_read = rows
                progress("reading", rows)
            account, raw_service, street, house, apartment, payer, raw_tax_id, *texts = pick(row)
            service_id = services[raw_service]
            joined = ";".join(texts)
            if plain is not None and plain(joined) is not None:
                amounts: list[Any] = list(map(int, joined.replace(",", "").replace(".", "").split(";")))
                opening, charged, recalc, benefit, subsidy, paid, closing = amounts
                consistent = closing == opening + charged + recalc - benefit - subsidy - paid
            else:
                try:
                    amounts = [kopecks[t] if t else None for t in texts]
                except MoneyError:
                    yield _parse_row_checked(
                        ctx, report, line, dict(zip(header, row, strict=True)) if lists else row
                    )
                    continue
                opening, charged, recalc, benefit, subsidy, paid, closing = amounts
                consistent = (
                    not (period_rule or (json_rows and "opening" in row))
                    or closing is None
                    or (
                        opening is None
                        and charged is None
                        and recalc is None
                        and benefit is None
                        and subsidy is None
                        and paid is None
                    )
                    or closing
                    == (opening or 0)
                    + (charged or 0)
                    + (recalc or 0)
                    - (benefit or 0)
                    - (subsidy or 0)
                    - (paid or 0)
                )
            if (
                service_id is None
                or closing is None
                or not consistent
                or not account
                or not street
                or not house
                or len(account) > 32
                or len(street) > 120
                or len(house) > 32
                or len(apartment) > 16
                or len(payer) > 200
                or len(raw_tax_id) > 16
            ):
                yield _parse_row_checked(
                    ctx, report, line, dict(zip(header, row, strict=True)) if lists else row
                )
                continue
            address = addresses.get((street, house, apartment)) or _address(ctx, street, house, apartment)
            payer_key = payer_keys.get(payer)
            if payer_key is None:
                payer_key = _payer_key(ctx, payer)
            tax_id, tax_reason = _tax_id(ctx, raw_tax_id) if raw_tax_id else ("", "")
            yield (
                line,
                account,
                service_id,
                *address,
                payer,
                payer_key,
                tax_id[:16],
                tax_reason,
                *amounts,
                0,
            )
    finally:
        report.rows_read = rows


def _parse_row_checked(
    ctx: _Context, report: ImportReport, line: int, row: dict[str, str]
) -> tuple[Any, ...]:
    """The staging tuple of a row the fast path doubts, naming every fault of a rejected one."""
    errors_before = len(report.errors)
    get = row.get
    for column in REQUIRED:
        if not get(column):
            report.reject(line, column, "required value is empty")
    for column, limit in MAX_LENGTH.items():
        value = get(column) or ""
        if len(value) > limit:
            report.reject(line, column, f"longer than {limit} characters")
    account = (get("account") or "")[:32]
    service_id: int | None = None
    raw_service = get("service") or ""
    if raw_service:
        service_id = ctx.service_spellings[raw_service]
        if service_id is None:
            report.reject(
                line, "service", f"unknown service {raw_service!r}: not a network code nor your alias"
            )
    amounts: dict[str, int | None] = {}
    for column in MONEY_COLUMNS:
        text = get(column) or ""
        if not text:
            amounts[column] = None
            continue
        try:
            amounts[column] = ctx.kopecks[text]
        except MoneyError as exc:
            amounts[column] = None
            report.reject(line, column, str(exc))
    if (ctx.has_period_columns or (ctx.json_rows and "opening" in row)) and len(
        report.errors
    ) == errors_before:
        figures = [amounts[c] for c in PERIOD_COLUMNS]
        if any(v is not None for v in figures) and amounts["closing"] is not None:
            o, c, r, b, s, p = (v or 0 for v in figures)
            expected = o + c + r - b - s - p
            if expected != amounts["closing"]:
                report.reject(
                    line,
                    "closing",
                    f"closing {Money(amounts['closing'])} does not follow from the period columns: "
                    f"opening + charged + recalc − benefit − subsidy − paid = {Money(expected)}",
                )
    if len(report.errors) != errors_before:
        return (line, account, service_id, None, None, "", "", "", "", *[None] * len(MONEY_COLUMNS), 1)
    street, house, apartment = get("street") or "", get("house") or "", get("apartment") or ""
    payer = get("payer") or ""
    tax_id, tax_reason = _tax_id(ctx, get("tax_id") or "")
    return (
        line,
        account,
        service_id,
        *_address(ctx, street, house, apartment),
        payer,
        _payer_key(ctx, payer),
        tax_id[:16],
        tax_reason,
        *(amounts[c] for c in MONEY_COLUMNS),
        0,
    )


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


#: Rows written to staging at a time (a list this long is the only copy of rows held in memory).
STAGING_BATCH = 5_000


def _staging_load(ctx: _Context, rows: Iterator[tuple[Any, ...]]) -> None:
    """Write the staged rows, and the addresses they refer to, batch by batch."""
    names = ", ".join(name for name, _ in STAGING_COLUMNS)
    address_names = ", ".join(name for name, _ in ADDRESS_COLUMNS)
    with connection.cursor() as cur:
        if _is_postgres():
            raw = cur.cursor

            def write(table: str, columns: str, batch: list[tuple[Any, ...]]) -> None:
                with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)

        else:
            # sqlite3's own executemany: Django's wrapper would tee the rows and keep them all
            def write(table: str, columns: str, batch: list[tuple[Any, ...]]) -> None:
                values = ", ".join(["?"] * (columns.count(",") + 1))
                sqlite3.Cursor.executemany(
                    cur.cursor, f"INSERT INTO {table} ({columns}) VALUES ({values})", batch
                )

        while batch := list(islice(rows, STAGING_BATCH)):
            write(STAGING, names, batch)
            if ctx.addresses_new:
                write(ADDRESSES, address_names, ctx.addresses_new)
                ctx.addresses_new.clear()
        cur.execute(f"CREATE INDEX {STAGING}_key ON {STAGING} (account, service_id)")
        if _is_postgres():
            cur.execute(f"ANALYZE {STAGING}")
            cur.execute(f"ANALYZE {ADDRESSES}")


def _staging_reject_duplicates(report: ImportReport) -> None:
    with connection.cursor() as cur:
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
            cur.execute(
                f"""UPDATE {STAGING} SET rejected = 1 WHERE rejected = 0 AND EXISTS (
                    SELECT 1 FROM {STAGING} o WHERE o.rejected = 0 AND o.account = {STAGING}.account
                    AND o.service_id = {STAGING}.service_id AND o.line <> {STAGING}.line)"""
            )


# --- merge ---------------------------------------------------------------------------------------
def _merge_accounts(*, provider_id: int, snapshot_id: int) -> tuple[dict[str, int], set[int]]:
    """Write every valid row into the accounts; returns created / updated / unchanged counts and the
    dwellings whose accounts appeared, moved (the dwelling left as well) or changed payer.

    One join of the staged rows with the provider's accounts sorts every row (new, changed,
    unchanged) into a temporary table; the accounts are then written by one plain INSERT of the new
    ones and one UPDATE of the rest (on PostgreSQL a HOT update: no indexed column changes, and
    the table's fill factor leaves the room, migration 0002), instead of an upsert that probes the
    unique index once per row and then a second pass over the unchanged ones.
    """
    acc = Account._meta.db_table
    pg = _is_postgres()
    distinct = "IS DISTINCT FROM" if pg else "IS NOT"
    changed = f"NOT a.is_active OR a.dwelling_id {distinct} s.dwelling_id OR " + " OR ".join(
        f"a.{c} <> {'ad' if c in ADDRESS_TEXTS else 's'}.{c}"
        for c in ("closing", "match_status", "street", "house", "apartment", "payer", "tax_id")
    )
    moved = f"a.id IS NULL OR NOT a.is_active OR a.dwelling_id {distinct} s.dwelling_id OR a.payer <> s.payer OR a.tax_id <> s.tax_id"
    columns = "dwelling_id, match_status, street, house, apartment, payer, tax_id, closing"
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {DIFF}")
        cur.execute(
            f"""CREATE TEMPORARY TABLE {DIFF} {"ON COMMIT DROP" if pg else ""} AS
                SELECT s.account, s.service_id, s.dwelling_id, ad.match_status, ad.street, ad.house,
                    ad.apartment, s.payer, s.tax_id, s.closing, s.opening, s.charged, s.recalc, s.benefit,
                    s.subsidy, s.paid,
                    a.id AS account_id, a.dwelling_id AS old_dwelling_id,
                    CASE WHEN a.id IS NULL THEN 'created' WHEN {changed} THEN 'updated' ELSE 'unchanged' END
                        AS state,
                    CASE WHEN s.dwelling_id IS NOT NULL AND ({moved}) THEN 1 ELSE 0 END AS touches
                FROM {STAGING} s JOIN {ADDRESSES} ad ON ad.id = s.address_id LEFT JOIN {acc} a
                  ON a.provider_id = %s AND a.number = s.account AND a.service_id = s.service_id
                WHERE s.rejected = 0""",
            [provider_id],
        )
        cur.execute(f"SELECT state, COUNT(*) FROM {DIFF} GROUP BY state")
        counts = {"created": 0, "updated": 0, "unchanged": 0} | {str(k): int(n) for k, n in cur.fetchall()}
        # dwellings whose payers or account numbers the search index must learn
        cur.execute(
            f"""SELECT dwelling_id FROM {DIFF} WHERE touches = 1
                UNION SELECT old_dwelling_id FROM {DIFF}
                WHERE old_dwelling_id IS NOT NULL AND old_dwelling_id {distinct} dwelling_id"""
        )
        touched = {int(row[0]) for row in cur.fetchall()}
        cur.execute(
            f"""INSERT INTO {acc} (provider_id, number, service_id, {columns}, snapshot_id, is_active)
                SELECT %s, account, service_id, {columns}, %s, TRUE FROM {DIFF} WHERE account_id IS NULL""",
            [provider_id, snapshot_id],
        )
        if counts["created"]:
            # the new accounts' ids, for their periods
            cur.execute(
                f"""UPDATE {DIFF} SET account_id = a.id FROM {acc} a
                    WHERE {DIFF}.account_id IS NULL AND a.provider_id = %s AND a.number = {DIFF}.account
                    AND a.service_id = {DIFF}.service_id""",
                [provider_id],
            )
        # every account of the file moves to the new snapshot; an unchanged one keeps its figures
        assignments = ", ".join(f"{c} = d.{c}" for c in columns.split(", "))
        cur.execute(
            f"""UPDATE {acc} SET {assignments}, snapshot_id = %s, is_active = TRUE
                FROM {DIFF} d WHERE {acc}.id = d.account_id AND d.state = 'updated'""",
            [snapshot_id],
        )
        cur.execute(
            f"UPDATE {acc} SET snapshot_id = %s FROM {DIFF} d WHERE {acc}.id = d.account_id AND d.state = 'unchanged'",
            [snapshot_id],
        )
    return counts, touched


def _close_missing_accounts(*, provider_id: int, snapshot_id: int) -> tuple[int, set[int]]:
    """Accounts missing from the snapshot are no longer shown; a rejected row keeps its account as it was.

    Returns how many were closed and their dwellings (the search index forgets their payers). The
    provider's row lock keeps other imports of its accounts out between the two statements.
    """
    acc = Account._meta.db_table
    missing = f"""provider_id = %s AND is_active AND snapshot_id <> %s AND NOT EXISTS (
        SELECT 1 FROM {STAGING} r WHERE r.rejected = 1 AND r.account = {acc}.number
        AND (r.service_id IS NULL OR r.service_id = {acc}.service_id))"""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT DISTINCT dwelling_id FROM {acc} WHERE {missing} AND dwelling_id IS NOT NULL",
            [provider_id, snapshot_id],
        )
        dwellings = {int(row[0]) for row in cur.fetchall()}
        cur.execute(f"UPDATE {acc} SET is_active = FALSE WHERE {missing}", [provider_id, snapshot_id])
        return int(cur.rowcount), dwellings


def _merge_periods(*, snapshot_id: int, period: dt.date, first_of_period: bool) -> None:
    """The period's figures of every account of the file, from the merge's sorted rows.

    `first_of_period`: no snapshot of this provider for this period was applied before, so none of
    its accounts has figures for it (only this import writes them): a plain INSERT. Otherwise an
    upsert that leaves unchanged figures alone (the period keeps the snapshot that set them).
    """
    per = AccountPeriod._meta.db_table
    columns = ", ".join((*PERIOD_COLUMNS, "closing"))
    insert = f"""INSERT INTO {per} (snapshot_id, account_id, period, {columns})
        SELECT %s, account_id, %s, {columns} FROM {DIFF} WHERE account_id IS NOT NULL"""
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
                FROM {rows} WHERE s.rejected = 0 AND s.dwelling_id IS NOT NULL AND s.payer_key <> ''
                AND NOT EXISTS (SELECT 1 FROM {person} p WHERE p.dwelling_id = s.dwelling_id
                                AND p.is_active AND p.surname_key = s.payer_key)""",
            [snapshot_id, Discrepancy.Kind.PAYER_NOT_REGISTERED],
        )
        cur.execute(
            f"""{insert} SELECT %s, s.account, sv.code, s.line, %s, {address}, s.payer,
                    SUBSTR(CASE WHEN EXISTS (SELECT 1 FROM {person} q WHERE q.dwelling_id = s.dwelling_id
                                AND q.is_active AND q.surname_key = s.payer_key AND q.tax_id <> '')
                        THEN 'tax id ' || s.tax_id || ' differs from the register''s for ' || s.payer
                        ELSE 'tax id ' || s.tax_id || ' belongs to a person registered elsewhere' END, 1, 300)
                FROM {rows} WHERE s.rejected = 0 AND s.dwelling_id IS NOT NULL AND s.tax_id <> ''
                AND s.tax_detail = ''
                AND NOT EXISTS (SELECT 1 FROM {person} p WHERE p.dwelling_id = s.dwelling_id
                                AND p.is_active AND p.tax_id = s.tax_id)
                AND (EXISTS (SELECT 1 FROM {person} q WHERE q.dwelling_id = s.dwelling_id
                             AND q.is_active AND q.surname_key = s.payer_key AND q.tax_id <> '')
                     OR EXISTS (SELECT 1 FROM {person} e WHERE e.tax_id = s.tax_id AND e.is_active))""",
            [snapshot_id, Discrepancy.Kind.TAX_ID_MISMATCH],
        )
        cur.execute(
            f"SELECT kind, COUNT(*) FROM {dis} WHERE snapshot_id = %s GROUP BY kind ORDER BY kind",
            [snapshot_id],
        )
        return {kind: int(n) for kind, n in cur.fetchall()}


def _staging_totals() -> tuple[int, int, int, int]:
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT COUNT(*), COALESCE(SUM(s.closing), 0),
                    COALESCE(SUM(CASE WHEN ad.match_status = %s THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN ad.match_status = %s THEN 1 ELSE 0 END), 0)
                FROM {STAGING} s JOIN {ADDRESSES} ad ON ad.id = s.address_id WHERE s.rejected = 0""",
            [Account.Match.UNMATCHED, Account.Match.AMBIGUOUS],
        )
        rows, total, unmatched, ambiguous = cur.fetchone()
        return int(rows), int(total), int(unmatched), int(ambiguous)


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
        title=f"Discrepancies of snapshot {snapshot.pk} ({snapshot.period:%Y-%m}): {count}"[:200],
        object_type="providers.snapshot",
        object_id=str(snapshot.pk),
        checksum=digest.hexdigest(),
    )


def _provider_services_record(*, provider: Organisation) -> None:
    """Every service the provider uploads accounts for is one of its services (ProviderService)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT DISTINCT service_id FROM {STAGING} WHERE rejected = 0")
        ids = {int(r[0]) for r in cur.fetchall()}
    known = set(ProviderService.objects.filter(provider=provider).values_list("service_id", flat=True))
    ProviderService.objects.bulk_create(
        [ProviderService(provider=provider, service_id=sid) for sid in sorted(ids - known)]
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
    Organisation.objects.select_for_update().filter(pk=provider.pk).first()
    services = service_code_map(provider=provider)
    service_ids = dict(Service.objects.values_list("code", "id"))
    index = dwelling_index_build()
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
        with open_table(source, dbf_fields=SNAPSHOT_DBF_FIELDS, name=name) as table:
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
            ctx = _Context(
                provider=provider,
                services=services,
                service_ids=service_ids,
                index=index,
                has_period_columns=table.format != "json" and "opening" in table.columns,
                json_rows=table.format == "json",
            )

            # the rows make no reference cycles; the cycle collector would only rescan the
            # address index and caches over and over (a quarter of the import's CPU time)
            gc_was_enabled = gc.isenabled()
            gc.disable()
            try:
                _staging_load(ctx, _staged_rows(ctx, report, table, progress))
            finally:
                if gc_was_enabled:
                    gc.enable()
            metadata = dict(table.metadata)
    except FormatError as exc:
        report.reject(exc.line or 1, exc.column, exc.reason)
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
    _staging_reject_duplicates(report)
    if report.errors and not accept_partial:
        raise ImportRejected(report)
    rows, closing_total, unmatched, ambiguous = _staging_totals()
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
    changes, touched = _merge_accounts(provider_id=provider.pk, snapshot_id=snap.pk)
    changes["closed"], closed_in = _close_missing_accounts(provider_id=provider.pk, snapshot_id=snap.pk)
    report.touched_dwellings = touched | closed_in
    _merge_periods(snapshot_id=snap.pk, period=period, first_of_period=first_of_period)
    progress("discrepancies", report.rows_read)
    kinds = _discrepancies_record(snapshot_id=snap.pk)
    _provider_services_record(provider=provider)
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
