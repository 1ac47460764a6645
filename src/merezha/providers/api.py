"""API routes of the providers app, mounted by merezha.api at /api/v1/.

Only a provider's operator may call them (any other role: 403), and only for its own
organisation: another provider's snapshot or service alias answers 404.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Header, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from merezha.api_idempotency import IdempotencyKeyHeader, idempotency_key_of, idempotent
from merezha.api_params import Limit1000, Limit10000, Offset
from merezha.core.identifiers import parse_date, parse_period
from merezha.core.roles import Role
from merezha.organisations.models import ServiceAlias
from merezha.organisations.selectors import service_alias_list
from merezha.organisations.services import ServiceAliasRefused, service_alias_add, service_alias_remove
from merezha.providers.models import Snapshot
from merezha.providers.selectors import (
    discrepancy_list,
    discrepancy_report_file,
    snapshot_get,
    snapshot_list,
    snapshot_progress,
)
from merezha.providers.services import UploadConflict, snapshot_upload
from merezha.uploads import upload_kind

router = Router(tags=["providers"])


class SnapshotOut(Schema):
    id: int
    provider: str
    status: str
    period: str | None
    payments_through: str | None
    accept_partial: bool
    file_name: str
    file_format: str
    encoding: str
    checksum: str
    rows_read: int
    rows_applied: int
    rows_rejected: int
    closing_total: str
    unmatched: int
    discrepancies: int
    created_at: dt.datetime
    applied_at: dt.datetime | None
    sent_by: str


class RowErrorOut(Schema):
    line: int
    column: str
    reason: str


class ProgressOut(Schema):
    #: reading, checking, merging or discrepancies
    phase: str
    #: rows read so far
    rows: int
    #: share of the file read, per cent
    percent: int


class SnapshotDetailOut(SnapshotOut):
    #: while the import runs (status `running`): how far it is; otherwise null
    progress: ProgressOut | None
    changes: dict[str, int]
    notes: list[str]
    #: the first IMPORT_REPORT_MAX_ERRORS faults of the rejected rows, by line
    errors: list[RowErrorOut]
    #: the faults of all rejected rows (`errors` holds at most IMPORT_REPORT_MAX_ERRORS of them)
    errors_total: int
    #: why the import failed (`the worker stopped`: its worker died and it could not run again)
    failure: str
    #: runs of the import: more than 1 when a worker stopped and it ran again from the kept file
    attempts: int


class DiscrepancyOut(Schema):
    line: int
    account: str
    service: str
    kind: str
    address: str
    payer: str
    detail: str


class DiscrepancyPageOut(Schema):
    snapshot: int
    count: int
    offset: int
    items: list[DiscrepancyOut]


def _provider_user(request: HttpRequest) -> Any:
    from merezha.api_auth import require_role

    return require_role(request, Role.PROVIDER)


def _out(s: Snapshot) -> dict[str, Any]:
    return {
        "id": s.pk,
        "provider": s.provider.code,
        "status": s.status,
        "period": f"{s.period:%Y-%m}" if s.period else None,
        "payments_through": s.payments_through.isoformat() if s.payments_through else None,
        "accept_partial": s.accept_partial,
        "file_name": s.file_name,
        "file_format": s.file_format,
        "encoding": s.encoding,
        "checksum": s.checksum,
        "rows_read": s.rows_read,
        "rows_applied": s.rows_applied,
        "rows_rejected": s.rows_rejected,
        "closing_total": str(s.closing_total),
        "unmatched": s.unmatched,
        "discrepancies": s.discrepancy_count,
        "created_at": s.created_at,
        "applied_at": s.applied_at,
        "sent_by": s.created_by.username if s.created_by else "",
    }


def _detail(s: Snapshot) -> dict[str, Any]:
    report = s.report or {}
    progress = snapshot_progress(snapshot=s)
    return _out(s) | {
        "progress": {k: progress[k] for k in ("phase", "rows", "percent")} if progress else None,
        "changes": report.get("changes", {}),
        "notes": report.get("notes", []),
        "errors": report.get("errors", []),
        "errors_total": max(len(report.get("errors", [])), int(report.get("errors_total") or 0)),
        "failure": report.get("failure", ""),
        "attempts": int(report.get("attempts") or 1),
    }


def _get(request: HttpRequest, snapshot_id: int) -> Snapshot:
    user = _provider_user(request)
    snapshot = snapshot_get(provider=user.organisation, snapshot_id=snapshot_id)
    if snapshot is None:
        raise HttpError(404, "no such snapshot of yours")
    return snapshot


@router.post("/snapshots", response={200: SnapshotDetailOut, 202: SnapshotDetailOut})
@upload_kind("snapshot")
def snapshot_create(
    request: HttpRequest,
    file: UploadedFile = File(...),  # noqa: B008
    period: str = Form(""),
    payments_through: str = Form(""),
    accept_partial: bool = Form(False),
    idempotency_key: str = Header(
        "",
        alias="Idempotency-Key",
        description="Optional, 1 to 128 printable ASCII characters (an empty header or any other character "
        "answers 422). The same key with the same file and fields answers 200 "
        "with the first upload's snapshot (as it is now); with another file or fields, 409.",
    ),
) -> Status:
    """Provider operator, own organisation: upload a snapshot (exchange-v1 §2) for a background import.

    `period` (YYYY-MM) and `payments_through` (YYYY-MM-DD) may be left out when a JSON file carries
    them. Answers 202 with the snapshot id and status; poll `GET /snapshots/{id}`. The same
    Idempotency-Key with the same file and fields answers 200 with the first upload's snapshot; with
    another file or fields, 409; a key that is empty, longer than 128 characters or not printable
    ASCII, 422.
    """
    user = _provider_user(request)
    key = idempotency_key_of(request)
    try:
        period_date = parse_period(period) if period.strip() else None
        through = parse_date(payments_through) if payments_through.strip() else None
    except ValueError as exc:
        raise HttpError(422, str(exc)) from None
    try:
        snapshot, is_new = snapshot_upload(
            provider=user.organisation,
            user=user,
            fileobj=file,
            file_name=file.name or "upload",
            period=period_date,
            payments_through=through,
            accept_partial=accept_partial,
            idempotency_key=key,
        )
    except UploadConflict:
        raise HttpError(409, "this Idempotency-Key was used for another upload") from None
    snapshot = snapshot_get(provider=user.organisation, snapshot_id=snapshot.pk) or snapshot
    return Status(202 if is_new else 200, _detail(snapshot))


@router.get("/snapshots", response=list[SnapshotOut])
def snapshot_index(request: HttpRequest, limit: Limit1000 = 100, offset: Offset = 0) -> list[dict[str, Any]]:
    """Provider operator, own organisation: its uploads, newest first."""
    user = _provider_user(request)
    return [_out(s) for s in snapshot_list(provider=user.organisation)[offset : offset + limit]]


@router.get("/snapshots/{snapshot_id}", response=SnapshotDetailOut)
def snapshot_detail(request: HttpRequest, snapshot_id: int) -> dict[str, Any]:
    """Provider operator, own organisation: one upload with its import report and every rejected row."""
    return _detail(_get(request, snapshot_id))


@router.get("/snapshots/{snapshot_id}/discrepancies", response=DiscrepancyPageOut)
def snapshot_discrepancies(
    request: HttpRequest,
    snapshot_id: int,
    format: str = "json",
    limit: Limit10000 = 1000,
    offset: Offset = 0,
) -> Any:
    """Provider operator, own organisation: where this snapshot disagrees with the city register.

    `format=json` (default, paged by `limit`/`offset`), or the whole report as `csv` or `xlsx`.
    """
    snapshot = _get(request, snapshot_id)
    if format in ("csv", "xlsx"):
        export = discrepancy_report_file(snapshot=snapshot, file_format=format)
        handle = open(export.path, "rb")  # noqa: SIM115 - FileResponse closes it
        os.unlink(export.path)
        return FileResponse(
            handle, as_attachment=True, filename=export.file_name, content_type=export.content_type
        )
    if format != "json":
        raise HttpError(422, f"unknown format {format!r}: json, csv or xlsx")
    qs = discrepancy_list(snapshot=snapshot)
    items = [
        {
            "line": d.line,
            "account": d.account_number,
            "service": d.service_code,
            "kind": d.kind,
            "address": d.address,
            "payer": d.payer,
            "detail": d.detail,
        }
        for d in qs[offset : offset + limit]
    ]
    return {"snapshot": snapshot.pk, "count": qs.count(), "offset": offset, "items": items}


class ServiceAliasOut(Schema):
    id: int
    #: the provider's own spelling, as registered (stripped)
    alias: str
    #: the network service code it stands for
    service: str


class ServiceAliasIn(Schema):
    alias: str
    #: a network service code (`water`, `heat`, …)
    service: str


def _alias_out(alias: ServiceAlias) -> dict[str, Any]:
    return {"id": alias.pk, "alias": alias.alias, "service": alias.service.code}


@router.get("/service-aliases", response=list[ServiceAliasOut])
def service_alias_index(request: HttpRequest) -> list[dict[str, Any]]:
    """Provider operator, own organisation: its aliases of network services, by service and alias."""
    user = _provider_user(request)
    return [_alias_out(a) for a in service_alias_list(provider=user.organisation)]


@router.post("/service-aliases", response={201: ServiceAliasOut})
def service_alias_create(
    request: HttpRequest, body: ServiceAliasIn, idempotency_key: IdempotencyKeyHeader = ""
) -> Status[Any]:
    """Provider operator, own organisation: register its own spelling of a network service for the
    `service` column of its snapshots; 201 with the alias. A refused alias (empty, longer than 64
    characters, a network code, one it already has in any case, an unknown service) answers 422 with
    the reason. With an Idempotency-Key, a retry of the same body returns the first answer; the same
    key with another body, 409."""
    user = _provider_user(request)

    def write() -> Status[dict[str, Any]]:
        try:
            alias = service_alias_add(provider=user.organisation, alias=body.alias, service_code=body.service)
        except ServiceAliasRefused as exc:
            raise HttpError(422, str(exc)) from None
        return Status(201, _alias_out(alias))

    return idempotent(
        request, idempotency_key, route="service-alias-add", data=body.model_dump(), write=write
    )


@router.delete("/service-aliases/{alias_id}", response={204: None})
def service_alias_delete(
    request: HttpRequest, alias_id: int, idempotency_key: IdempotencyKeyHeader = ""
) -> Status[Any]:
    """Provider operator, own organisation: remove one of its aliases; 204. Another provider's alias,
    or one already removed, answers 404. Accounts keep their service; only later snapshots stop
    accepting the alias. With an Idempotency-Key, a retry returns the first answer (204)."""
    user = _provider_user(request)

    def write() -> Status[None]:
        if not service_alias_remove(provider=user.organisation, alias_id=alias_id):
            raise HttpError(404, "no such service alias of yours")
        return Status(204, None)

    return idempotent(request, idempotency_key, route="service-alias-remove", data={}, write=write)
