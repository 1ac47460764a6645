"""API routes of the registers app, mounted by merezha.api at /api/v1/.

Who may call what:
- POST /days/{date}/close: a cashier, for its own payment point (issues the day's registers).
- GET /registers, GET /registers/{number}, GET /registers/{number}/file, POST /registers/{number}/acknowledge:
  a provider operator, for its own registers only (another provider's number answers 404).
- GET /reconciliation: an information-centre admin.
- Both POST routes take an optional Idempotency-Key (merezha.api_idempotency): a retry of the same
  request returns the first answer.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import Router, Schema, Status

from merezha.api_auth import require_role
from merezha.api_idempotency import IdempotencyKeyHeader, idempotent
from merezha.core.roles import Role
from merezha.payments.services import PaymentError
from merezha.registers.files import FORMATS, content_type, register_file_write
from merezha.registers.models import Register
from merezha.registers.selectors import reconciliation, register_get, register_list
from merezha.registers.services import point_day_close, register_acknowledge, register_canonical

router = Router(tags=["registers"])


class ErrorOut(Schema):
    detail: str


class RegisterBrief(Schema):
    provider: str
    number: int
    count: int
    total: str


class DayCloseOut(Schema):
    point: str
    day: dt.date
    status: str
    registers: list[RegisterBrief]


class PointOut(Schema):
    point: str
    count: int
    total: str


class RegisterOut(Schema):
    number: int
    provider: str
    operational_day: dt.date
    count: int
    total: str
    points: list[PointOut]
    checksum: str
    issued_at: dt.datetime
    status: str
    acknowledged_at: dt.datetime | None


class RegisterFull(RegisterOut):
    lines: list[dict[str, Any]]


class ReconRowOut(Schema):
    point: str
    day: dt.date
    provider: str
    status: str
    accepted: str
    cancelled: str
    registered: str
    ok: bool


def _register_out(reg: Register) -> dict[str, Any]:
    doc = reg.document
    return {
        "number": reg.number,
        "provider": reg.provider.code,
        "operational_day": reg.operational_day,
        "count": reg.count,
        "total": str(reg.total),
        "points": reg.points,
        "checksum": reg.checksum,
        "issued_at": reg.issued_at,
        "status": doc.status if doc else "delivered",
        "acknowledged_at": doc.acknowledged_at if doc else None,
    }


@router.post("/days/{day}/close", response={200: DayCloseOut, 422: ErrorOut})
def days_close_route(
    request: HttpRequest, day: dt.date, idempotency_key: IdempotencyKeyHeader = ""
) -> Status[Any]:
    """Cashier only: close its own point's operational day and issue the day's registers.
    Closing a closed day again changes nothing. With an Idempotency-Key, a retry returns the first
    answer (with the registers issued then); the same key for another day answers 409."""
    user = require_role(request, Role.CASHIER)

    def write() -> Status[dict[str, Any]]:
        try:
            result = point_day_close(point=user.organisation, user=user, day=day)
        except PaymentError as exc:
            return Status(422, {"detail": str(exc)})
        return Status(
            200,
            {
                "point": user.organisation.code,
                "day": day,
                "status": "closed",
                "registers": [
                    {"provider": r.provider.code, "number": r.number, "count": r.count, "total": str(r.total)}
                    for r in result.registers
                ],
            },
        )

    return idempotent(request, idempotency_key, route="day-close", data={}, write=write)


@router.get("/registers", response=list[RegisterOut])
def registers_list(
    request: HttpRequest, since_number: int | None = None, since_date: dt.date | None = None
) -> list[dict[str, Any]]:
    """Provider only: its own registers with a number above since_number / a day on or after since_date."""
    user = require_role(request, Role.PROVIDER)
    return [
        _register_out(r)
        for r in register_list(
            provider_id=user.organisation_id, since_number=since_number, since_date=since_date
        )
    ]


@router.get("/registers/{number}", response={200: RegisterFull, 404: ErrorOut})
def registers_get(request: HttpRequest, number: int) -> Status[dict[str, Any]]:
    """Provider only: one of its own registers with its lines (another provider's answers 404)."""
    user = require_role(request, Role.PROVIDER)
    reg = register_get(provider_id=user.organisation_id, number=number)
    if reg is None:
        return Status(404, {"detail": "no such register"})
    data = _register_out(reg)
    data["lines"] = register_canonical(register=reg)["lines"]
    return Status(200, data)


@router.get("/registers/{number}/file", response={200: None, 404: ErrorOut, 422: ErrorOut})
def registers_file(request: HttpRequest, number: int, format: str = "json") -> Any:
    """Provider only: one of its own registers as a file: format=csv|xlsx|dbf|json."""
    user = require_role(request, Role.PROVIDER)
    if format not in FORMATS:
        return Status(422, {"detail": f"unknown format {format!r}: use one of {', '.join(FORMATS)}"})
    reg = register_get(provider_id=user.organisation_id, number=number)
    if reg is None:
        return Status(404, {"detail": "no such register"})
    fd, path = tempfile.mkstemp(suffix="." + format)
    os.close(fd)
    try:
        register_file_write(registers=[reg], fmt=format, path=path)
        fh = open(path, "rb")  # noqa: SIM115  (closed by the response)
    finally:
        os.unlink(path)  # the open handle keeps the data readable
    name = f"register-{reg.provider.code}-{reg.number}-{reg.operational_day.isoformat()}.{format}"
    return FileResponse(fh, as_attachment=True, filename=name, content_type=content_type(format))


@router.post("/registers/{number}/acknowledge", response={200: RegisterOut, 404: ErrorOut})
def registers_acknowledge(
    request: HttpRequest, number: int, idempotency_key: IdempotencyKeyHeader = ""
) -> Status[Any]:
    """Provider only: acknowledge one of its own registers (again changes nothing). With an
    Idempotency-Key, a retry returns the first answer; the same key for another register, 409."""
    user = require_role(request, Role.PROVIDER)

    def write() -> Status[dict[str, Any]]:
        reg = register_get(provider_id=user.organisation_id, number=number)
        if reg is None:
            return Status(404, {"detail": "no such register"})
        register_acknowledge(register=reg, user=user)
        reg = register_get(provider_id=user.organisation_id, number=number)
        assert reg is not None
        return Status(200, _register_out(reg))

    return idempotent(request, idempotency_key, route="register-ack", data={}, write=write)


@router.get("/reconciliation", response=list[ReconRowOut])
def reconciliation_route(
    request: HttpRequest, day_from: dt.date, day_to: dt.date | None = None
) -> list[dict[str, Any]]:
    """Admin (information centre) only: accepted − cancelled = registered per point, day and provider;
    rows with provider "" are the point-day totals."""
    require_role(request, Role.ADMIN)
    rec = reconciliation(day_from=day_from, day_to=day_to or day_from)
    return [
        {
            "point": r.point,
            "day": r.day,
            "provider": r.provider,
            "status": r.status,
            "accepted": str(r.accepted),
            "cancelled": str(r.cancelled),
            "registered": str(r.registered),
            "ok": r.ok,
        }
        for r in rec.rows + rec.totals
    ]
