"""Reads of the providers app: snapshots, their discrepancy reports, a provider's figures.

Every read is scoped by the provider: another provider's snapshot is simply not found.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from merezha.core.money import Money
from merezha.core.progress import progress_read
from merezha.formats.writers import CONTENT_TYPES, Column, write_csv, write_xlsx
from merezha.organisations.models import Organisation
from merezha.providers.models import Account, Discrepancy, Snapshot

DISCREPANCY_COLUMNS = (
    Column("line", "LINE", "N", 9),
    Column("account", "LS", "C", 32),
    Column("service", "USLUGA", "C", 32),
    Column("kind", "KIND", "C", 32),
    Column("address", "ADRES", "C", 200),
    Column("payer", "FIO", "C", 200),
    Column("detail", "DETAIL", "C", 250),
)
EXPORT_FORMATS = {f: CONTENT_TYPES[f] for f in ("csv", "xlsx")}


def snapshot_list(*, provider: Organisation) -> QuerySet[Snapshot]:
    return Snapshot.objects.filter(provider=provider).select_related("created_by")


def snapshot_get(*, provider: Organisation, snapshot_id: int) -> Snapshot | None:
    return snapshot_list(provider=provider).filter(pk=snapshot_id).first()


def snapshot_in_force(*, provider: Organisation) -> Snapshot | None:
    return snapshot_list(provider=provider).filter(status=Snapshot.Status.APPLIED).order_by("-id").first()


#: What a running import is doing, as the provider reads it (phases of snapshot_import's `progress`).
PROGRESS_LABELS = {
    "reading": _("reading and checking the rows"),
    "checking": _("checking the file as a whole"),
    "merging": _("replacing your accounts"),
    "discrepancies": _("comparing with the city register"),
}


def snapshot_progress_key(*, snapshot_id: int) -> str:
    """The key under which a running import of this snapshot reports its progress (core.progress)."""
    return f"snapshot-{snapshot_id}"


def snapshot_progress(*, snapshot: Snapshot) -> dict[str, Any] | None:
    """How far a running import is: phase, its label, rows read so far, per cent of the file read.

    None when the snapshot is not importing, or its import has not reported yet.
    """
    if snapshot.status != Snapshot.Status.RUNNING:
        return None
    found = progress_read(key=snapshot_progress_key(snapshot_id=snapshot.pk))
    if found is None:
        return None
    phase = str(found.get("phase", ""))
    rows, percent = found.get("rows", 0), found.get("percent", 0)
    return {
        "phase": phase,
        "label": str(PROGRESS_LABELS.get(phase, phase)),
        "rows": rows if isinstance(rows, int) else 0,
        # the file is read whole before the later phases begin
        "percent": 100 if phase not in ("", "reading") else percent if isinstance(percent, int) else 0,
    }


def discrepancy_list(*, snapshot: Snapshot) -> QuerySet[Discrepancy]:
    return Discrepancy.objects.filter(snapshot=snapshot).order_by("line", "id")


def discrepancy_counts(*, snapshot: Snapshot) -> list[tuple[str, str, int]]:
    """(kind, its label, count) of a snapshot's discrepancies."""
    labels = dict(Discrepancy.Kind.choices)
    rows = (
        Discrepancy.objects.filter(snapshot=snapshot).values("kind").annotate(n=Count("id")).order_by("kind")
    )
    return [(r["kind"], str(labels.get(r["kind"], r["kind"])), r["n"]) for r in rows]


def _discrepancy_rows(snapshot: Snapshot) -> Iterator[tuple[Any, ...]]:
    qs = discrepancy_list(snapshot=snapshot).values_list(
        "line", "account_number", "service_code", "kind", "address", "payer", "detail"
    )
    yield from qs.iterator(chunk_size=5000)


@dataclass(frozen=True)
class ExportFile:
    path: str
    file_name: str
    content_type: str


def discrepancy_report_file(*, snapshot: Snapshot, file_format: str) -> ExportFile:
    """The discrepancy report written to a temporary file (CSV or XLSX); the caller deletes it."""
    if file_format not in EXPORT_FORMATS:
        raise ValueError(f"unknown format {file_format!r}: csv or xlsx")
    fd, path = tempfile.mkstemp(suffix=f".{file_format}")
    os.close(fd)
    if file_format == "csv":
        write_csv(path, DISCREPANCY_COLUMNS, _discrepancy_rows(snapshot))
    else:
        write_xlsx(path, DISCREPANCY_COLUMNS, _discrepancy_rows(snapshot), sheet="discrepancies")
    period = f"{snapshot.period:%Y-%m}" if snapshot.period else "none"
    name = f"discrepancies-{snapshot.provider.code}-{period}-{snapshot.pk}.{file_format}"
    return ExportFile(path, name, EXPORT_FORMATS[file_format])


@dataclass(frozen=True)
class ProviderFigures:
    accounts: int
    closing_total: Money
    unmatched: int
    in_force: Snapshot | None


def provider_figures(*, provider: Organisation) -> ProviderFigures:
    active = Account.objects.filter(provider=provider, is_active=True)
    agg = active.aggregate(n=Count("id"), total=Sum("closing"))
    return ProviderFigures(
        accounts=agg["n"] or 0,
        closing_total=agg["total"] if isinstance(agg["total"], Money) else Money(int(agg["total"] or 0)),
        unmatched=active.exclude(match_status=Account.Match.MATCHED).count(),
        in_force=snapshot_in_force(provider=provider),
    )
