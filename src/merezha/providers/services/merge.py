"""The snapshot import's merge: the sorted staged rows (`staging.DIFF`) written into the accounts.

Set-based: one plain INSERT adds the new accounts and UPDATE … FROM moves the others to the new
snapshot (on PostgreSQL a HOT update: see migration 0002); one `UPDATE` closes the accounts
missing from the file; the period's figures go in by a plain INSERT (the period's first
snapshot) or an upsert that skips unchanged figures. See docs/explanation/snapshot-import.md.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from merezha.organisations.models import Organisation, ProviderService
from merezha.providers.models import Account, AccountPeriod
from merezha.providers.services.staging import DIFF, STAGING, Totals, distinct_from, is_postgres
from merezha.providers.snapshot_rows import PERIOD_COLUMNS


def accounts_merge(*, provider_id: int, snapshot_id: int, totals: Totals) -> tuple[set[int], int | None]:
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
    pg = is_postgres()
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
        # on PostgreSQL the new accounts' ids were drawn from the sequence in DIFF (`staging._diff_select`)
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


def missing_accounts_close(*, provider_id: int, snapshot_id: int, kept: bool) -> tuple[int, set[int]]:
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


def periods_merge(
    *, snapshot_id: int, period: dt.date, first_of_period: bool, first_id: int | None = None
) -> None:
    """The period's figures of every account of the file, from the merge's sorted rows.

    `first_of_period`: no snapshot of this provider for this period was applied before, so none of
    its accounts has figures for it (only this import writes them): a plain INSERT. Otherwise an
    upsert that leaves unchanged figures alone (the period keeps the snapshot that set them).
    `first_id`: the new accounts were numbered from it in DIFF's order (`accounts_merge`).
    """
    per = AccountPeriod._meta.db_table
    columns = ", ".join((*PERIOD_COLUMNS, "closing"))
    account_id = "account_id" if first_id is None else f"{int(first_id)} + rowid"
    insert = f"""INSERT INTO {per} (snapshot_id, account_id, period, {columns})
        SELECT %s, {account_id}, %s, {columns} FROM {DIFF} WHERE {account_id} IS NOT NULL"""
    if not first_of_period:
        distinct = distinct_from()
        changed = " OR ".join(f"{per}.{c} {distinct} excluded.{c}" for c in (*PERIOD_COLUMNS, "closing"))
        updates = ", ".join(f"{c} = excluded.{c}" for c in ("snapshot_id", *PERIOD_COLUMNS, "closing"))
        insert += f" ON CONFLICT (account_id, period) DO UPDATE SET {updates} WHERE {changed}"
    with connection.cursor() as cur:
        cur.execute(insert, [snapshot_id, period])


def provider_services_record(*, provider: Organisation, service_ids: set[int]) -> None:
    """Every service the provider uploads accounts for is one of its services (ProviderService)."""
    known = set(ProviderService.objects.filter(provider=provider).values_list("service_id", flat=True))
    ProviderService.objects.bulk_create(
        [ProviderService(provider=provider, service_id=sid) for sid in sorted(service_ids - known)]
    )
