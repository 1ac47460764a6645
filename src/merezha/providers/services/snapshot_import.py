"""The provider snapshot of exchange-v1 §2, applied as the provider's complete state.

How it runs (see docs/explanation/snapshot-import.md):

1. One transaction. The provider's row is locked, so two imports of one provider queue up.
2. The file is read and its rows checked by `providers.snapshot_rows` — for a big file in a reader
   process of its own, so that reading and checking overlap the work here — and staged batch by
   batch in a temporary table (`staging`: by `COPY` on PostgreSQL, by `executemany` on SQLite).
   Each distinct address as written is matched once to a dwelling
   (`registry.selectors.dwelling_index_build`) and staged once. Nothing but the rejected rows'
   reasons stays in memory.
3. Repeated (account, service) pairs are found in SQL (a unique index proves there are none);
   then, if any row was rejected and the sender did not ask for `accept_partial`, the
   transaction is rolled back: nothing changed.
4. The merge is set-based: one join sorts the staged rows against the provider's accounts into
   a temporary table (created / updated / unchanged; on SQLite batch by batch while the rows are
   staged); `merge` adds the new accounts, moves the others to the new snapshot, closes the
   accounts missing from the file and writes the period's figures; and `discrepancies` writes
   the discrepancy report by a few `INSERT … SELECT`s and delivers it to the provider's inbox. A
   crash anywhere rolls all of it back and the previous snapshot stays in force.

This module is the import's course and its records (metadata, the `Snapshot` row, the report);
every statement on the staged rows is in `staging`, `merge` and `discrepancies`.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Callable
from typing import IO

from django.db import transaction
from django.utils import timezone

from merezha.core.identifiers import parse_date, parse_period
from merezha.core.imports import ImportRejected, ImportReport, columns_check, file_checksum
from merezha.core.money import Money
from merezha.formats import FormatError, source_name
from merezha.formats.readers import sniff_format
from merezha.organisations.locks import organisation_lock
from merezha.organisations.models import Organisation, Service, User
from merezha.organisations.selectors import service_code_map
from merezha.providers.models import Snapshot
from merezha.providers.services import discrepancies, merge, staging
from merezha.providers.snapshot_rows import REQUIRED, SNAPSHOT_DBF_FIELDS, Services, open_checked
from merezha.registry.selectors import dwelling_index_build

__all__ = ["PROGRESS_EVERY", "PROGRESS_PHASES", "SNAPSHOT_DBF_FIELDS", "snapshot_import"]


#: The phases an import goes through, as `progress(phase, rows)` names them.
PROGRESS_PHASES = ("reading", "checking", "merging", "discrepancies")
#: `progress("reading", rows)` is called every this many rows.
PROGRESS_EVERY = 5_000


def _no_progress(phase: str, rows: int) -> None:
    return None


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
    user: User | None = None,
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
    previous_cache = staging.sqlite_cache_enlarge()
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
        staging.sqlite_cache_restore(previous_cache)
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


def _snapshot_record_rejected(
    report: ImportReport,
    *,
    provider: Organisation,
    period: dt.date | None,
    payments_through: dt.date | None,
    accept_partial: bool,
    user: User | None,
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
    user: User | None,
    name: str | None,
    snapshot: Snapshot | None,
    checksum: str,
    progress: Callable[[str, int], None],
) -> Snapshot:
    # one import per provider at a time: the provider's row is the lock
    organisation_lock(organisation_id=provider.pk)
    services = service_code_map(provider=provider)
    service_ids = dict(Service.objects.values_list("code", "id"))
    staging.tables_create()
    staging.session_tune()
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
            ctx = staging.AddressContext(index=dwelling_index_build())
            diff_plan = staging.DiffPlan(provider_id=provider.pk, service_ids=sorted(service_ids.values()))

            # the rows make no reference cycles; the cycle collector would only rescan the
            # address index and caches over and over (a quarter of the import's CPU time)
            gc_was_enabled = gc.isenabled()
            gc.disable()
            try:
                # on SQLite the rows are sorted against the accounts while the reader reads on
                loaded = staging.rows_stage(
                    ctx,
                    report,
                    table,
                    progress,
                    progress_every=PROGRESS_EVERY,
                    diff=None if staging.is_postgres() else diff_plan,
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
    repeated = staging.duplicates_reject(report)
    if report.errors and not accept_partial:
        raise ImportRejected(report)
    totals = loaded
    if totals is None or repeated:  # PostgreSQL, or rows rejected since they were sorted
        staging.diff_create(provider_id=provider.pk)
        totals = staging.diff_totals(service_ids=diff_plan.service_ids)
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
    touched, first_id = merge.accounts_merge(provider_id=provider.pk, snapshot_id=snap.pk, totals=totals)
    changes = dict(totals.changes)
    changes["closed"], closed_in = merge.missing_accounts_close(
        provider_id=provider.pk, snapshot_id=snap.pk, kept=bool(report.errors)
    )
    report.touched_dwellings = touched | closed_in
    merge.periods_merge(
        snapshot_id=snap.pk, period=period, first_of_period=first_of_period, first_id=first_id
    )
    progress("discrepancies", report.rows_read)
    kinds = discrepancies.discrepancies_record(snapshot_id=snap.pk)
    merge.provider_services_record(provider=provider, service_ids=totals.service_ids)
    staging.tables_drop()

    report.rows_applied = rows
    report.changes = changes
    report.applied = True
    found = sum(kinds.values())
    report.notes.append(
        f"snapshot {snap.pk} of {provider.code} for {period:%Y-%m}, payments through "
        f"{payments_through.isoformat()}: {rows} accounts, closing total {Money(closing_total)}"
    )
    report.notes.append(f"unmatched addresses: {unmatched}; ambiguous addresses: {ambiguous}")
    if found:
        detail = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        report.notes.append(f"discrepancies with the city register: {found} ({detail})")
    else:
        report.notes.append("discrepancies with the city register: 0")

    if found:
        discrepancies.discrepancy_report_deliver(snapshot=snap, provider=provider, count=found)

    snap.status = Snapshot.Status.APPLIED
    snap.rows_read = report.rows_read
    snap.rows_applied = rows
    snap.rows_rejected = report.rows_rejected
    snap.closing_total = Money(closing_total)
    snap.unmatched = unmatched
    snap.discrepancy_count = found
    snap.applied_at = timezone.now()
    snap.save()
    return snap
