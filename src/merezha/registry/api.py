"""Registry routes: the street directory, address matching and the housing office's register upload."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from merezha.api_idempotency import IdempotencyKeyHeader, idempotent
from merezha.core.hooks import imports_applied
from merezha.core.imports import ImportRejected
from merezha.core.roles import Role
from merezha.registry.selectors import address_match, street_list
from merezha.registry.services import registry_import
from merezha.uploads import upload_kind

router = Router(tags=["registry"])


class StreetOut(Schema):
    id: int
    type: str
    name: str
    former_names: list[str]


class MatchOut(Schema):
    status: str
    dwelling_id: int | None
    reason: str
    candidates: list[int]


class RowErrorOut(Schema):
    line: int
    column: str
    reason: str


class ImportReportOut(Schema):
    file: str
    format: str
    encoding: str
    applied: bool
    rows_read: int
    rows_applied: int
    rows_rejected: int
    changes: dict[str, int]
    notes: list[str]
    errors: list[RowErrorOut]


@router.get("/streets", response=list[StreetOut])
def streets(request: HttpRequest) -> list[dict[str, Any]]:
    """Any organisation user: the street directory with former names."""
    from merezha.api_auth import require_role

    require_role(request, *Role.values)
    return [
        {"id": s.pk, "type": s.type, "name": s.name, "former_names": [n.name for n in s.former_names.all()]}
        for s in street_list()
    ]


@router.get("/match", response=MatchOut)
def match(request: HttpRequest, street: str, house: str, apartment: str = "") -> dict[str, Any]:
    """Information centre, providers, housing and subsidy offices: one address → one dwelling or an honest no."""
    from merezha.api_auth import require_role

    require_role(request, Role.ADMIN, Role.PROVIDER, Role.HOUSING, Role.SUBSIDY)
    m = address_match(street=street, house=house, apartment=apartment)
    return {
        "status": m.status.value,
        "dwelling_id": m.dwelling_id,
        "reason": m.reason,
        "candidates": list(m.candidates),
    }


@router.post("/uploads", response={200: ImportReportOut, 422: ImportReportOut})
@upload_kind("registry")
def upload(
    request: HttpRequest,
    file: File[UploadedFile],
    accept_partial: Form[bool] = False,
    idempotency_key: IdempotencyKeyHeader = "",
) -> Any:
    """Housing office clerks: apply the office's complete register (exchange-v1 §1). 422 lists every
    rejected row. With an Idempotency-Key, a retry of the same file and fields returns the first
    report and applies nothing; the same key with another file or fields answers 409."""
    from merezha.api_auth import require_role

    user = require_role(request, Role.HOUSING)

    def write() -> Status[dict[str, Any]]:
        suffix = os.path.splitext(file.name or "")[1]
        with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
            for chunk in file.chunks():
                tmp.write(chunk)
            tmp.flush()
            try:
                report = registry_import(
                    tmp.name,
                    office=user.organisation,
                    user=user,
                    accept_partial=accept_partial,
                    name=file.name,
                )
            except ImportRejected as exc:
                return Status(422, exc.report.as_dict())
        imports_applied(report=report)
        return Status(200, report.as_dict())

    return idempotent(
        request,
        idempotency_key,
        route="registry-upload",
        data={"accept_partial": accept_partial},
        files={"file": file},
        write=write,
    )
