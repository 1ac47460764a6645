"""API routes of the settlements app, mounted by merezha.api at /api/v1/settlement/.

Who may call what:
- GET /settlement/orders, GET /settlement/orders/file: an information-centre admin (every
  provider's orders, or `provider=`) or a provider operator (its own only; another provider's
  code answers 404).
- POST /settlement/statements: an admin (any statement) or a provider operator (credits to its
  own accounts only); optional Idempotency-Key — the same file twice changes nothing anyway.
- GET /settlement/reconciliation, GET /settlement/reconciliation.xlsx: an admin, or a provider
  operator for its own (another provider's code answers 404).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import File, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from merezha.api_auth import require_role
from merezha.api_idempotency import IdempotencyKeyHeader, idempotent
from merezha.core.roles import Role
from merezha.organisations.models import Organisation
from merezha.settlements.rules import STATEMENT_MAX_BYTES
from merezha.settlements.selectors import (
    order_states,
    settlement_orders,
    settlement_orders_file,
    settlement_reconciliation,
    settlement_reconciliation_xlsx,
    settlement_scope,
)
from merezha.settlements.services import SettlementError, statement_import

router = Router(tags=["settlement"])


class ErrorOut(Schema):
    detail: str


class OrderOut(Schema):
    provider: str
    number: int
    end_to_end_id: str
    operational_day: dt.date
    register_number: int
    payer: str
    payer_iban: str
    payee_iban: str
    points: list[str]
    subtotal: str
    commission_bp: int
    commission: str
    amount: str
    purpose: str
    paid: str
    status: str


class StatementOut(Schema):
    statement_id: str
    created: bool
    credits: int
    total: str
    matched: int
    unexpected: int


class RowOut(Schema):
    day: dt.date
    provider: str
    payer: str
    points: list[str]
    takings: str
    registered: str
    registers: list[int]
    acknowledged: str
    ordered: str
    commission: str
    credited: str
    status: str
    ok: bool


class CreditOut(Schema):
    statement_id: str
    line: int
    account_iban: str
    payer_iban: str
    value_date: dt.date
    amount: str
    purpose: str


class ReconciliationOut(Schema):
    day: dt.date
    provider: str | None
    rows: list[RowOut]
    unexpected: list[CreditOut]


def _scope(request: HttpRequest, provider: str) -> Organisation | None:
    """The provider the caller may look at: an admin any (or all: None); a provider its own only."""
    user = require_role(request, Role.ADMIN, Role.PROVIDER)
    found, ok = settlement_scope(user=user, provider_code=provider)
    if not ok:
        raise HttpError(404, "no such provider")
    return found


@router.get("/settlement/orders", response=list[OrderOut])
def orders_list(request: HttpRequest, day: dt.date, provider: str = "") -> list[dict[str, Any]]:
    """Admin or provider (own only): the day's settlement orders with their status."""
    scope = _scope(request, provider)
    orders = settlement_orders(day=day, provider_id=scope.pk if scope else None)
    return [
        {
            "provider": s.order.provider.code,
            "number": s.order.number,
            "end_to_end_id": s.order.end_to_end_id,
            "operational_day": s.order.operational_day,
            "register_number": s.order.register_number,
            "payer": s.order.payer.code,
            "payer_iban": s.order.payer_iban,
            "payee_iban": s.order.payee_iban,
            "points": s.order.points,
            "subtotal": str(s.order.subtotal),
            "commission_bp": s.order.commission_bp,
            "commission": str(s.order.commission),
            "amount": str(s.order.amount),
            "purpose": s.order.purpose,
            "paid": str(s.paid),
            "status": s.status,
        }
        for s in order_states(orders=orders)
    ]


@router.get("/settlement/orders/file", response={200: None, 404: ErrorOut, 422: ErrorOut})
def orders_file(request: HttpRequest, day: dt.date, format: str = "pain001", provider: str = "") -> Any:
    """Admin or provider (own only): the day's orders as ISO 20022 pain.001.001.09 XML
    (format=pain001) or CSV (format=csv). Orders lacking an IBAN are left out."""
    scope = _scope(request, provider)
    if format not in ("pain001", "csv"):
        return Status(422, {"detail": f"unknown format {format!r}: use pain001 or csv"})
    who = scope.code if scope else "all"
    suffix = "xml" if format == "pain001" else "csv"
    fd, path = tempfile.mkstemp(suffix="." + suffix)
    os.close(fd)
    try:
        settlement_orders_file(
            day=day, provider_id=scope.pk if scope else None, fmt=format, path=path, name=who
        )
        fh = open(path, "rb")  # noqa: SIM115  (closed by the response)
    finally:
        os.unlink(path)  # the open handle keeps the data readable
    return FileResponse(
        fh,
        as_attachment=True,
        filename=f"settlement-{who}-{day}.{suffix}",
        content_type="application/xml" if suffix == "xml" else "text/csv",
    )


@router.post("/settlement/statements", response={200: StatementOut, 201: StatementOut, 422: ErrorOut})
def statements_upload(
    request: HttpRequest,
    file: UploadedFile = File(...),  # noqa: B008
    idempotency_key: IdempotencyKeyHeader = "",
) -> Status[Any]:
    """Admin, or provider (credits to its own accounts only): import a bank statement, camt.053.001.08
    XML or CSV, and match its credits. 201 when imported now, 200 when the same file was imported
    before (nothing changes); a refused file answers 422 with the reason and changes nothing."""
    user = require_role(request, Role.ADMIN, Role.PROVIDER)
    name = file.name or "statement"

    if file.size is not None and file.size > STATEMENT_MAX_BYTES:
        return Status(422, {"detail": f"the file is larger than {STATEMENT_MAX_BYTES // (1024 * 1024)} MB"})

    def write() -> Status[dict[str, Any]]:
        file.seek(0)
        data = file.read()
        try:
            result = statement_import(data=data, name=name, user=user)
        except SettlementError as exc:
            return Status(422, {"detail": str(exc)})
        stmt = result.statement
        matched = stmt.lines.filter(matches__isnull=False).distinct().count()
        return Status(
            201 if result.created else 200,
            {
                "statement_id": stmt.statement_id,
                "created": result.created,
                "credits": stmt.credits,
                "total": str(stmt.total),
                "matched": matched,
                "unexpected": stmt.credits - matched,
            },
        )

    return idempotent(
        request, idempotency_key, route="settlement-statement", data={}, write=write, files={"file": file}
    )


def _reconciliation(request: HttpRequest, day: dt.date, provider: str) -> Any:
    scope = _scope(request, provider)
    return settlement_reconciliation(day=day, provider=scope)


@router.get("/settlement/reconciliation", response=ReconciliationOut)
def reconciliation_get(request: HttpRequest, day: dt.date, provider: str = "") -> dict[str, Any]:
    """Admin (any provider, or all) or provider (own only): point ↔ register ↔ acknowledgement ↔
    bank credit for the day, and the credits no order explains."""
    rec = _reconciliation(request, day, provider)
    return {
        "day": rec.day,
        "provider": rec.provider,
        "rows": [
            {
                "day": r.day,
                "provider": r.provider,
                "payer": r.payer,
                "points": r.points,
                "takings": str(r.takings),
                "registered": str(r.registered),
                "registers": r.registers,
                "acknowledged": r.acknowledged,
                "ordered": str(r.ordered),
                "commission": str(r.commission),
                "credited": str(r.credited),
                "status": r.status,
                "ok": r.ok,
            }
            for r in rec.rows
        ],
        "unexpected": [
            {
                "statement_id": c.statement.statement_id,
                "line": c.line,
                "account_iban": c.account_iban,
                "payer_iban": c.payer_iban,
                "value_date": c.value_date,
                "amount": str(c.amount),
                "purpose": c.purpose,
            }
            for c in rec.unexpected
        ],
    }


@router.get("/settlement/reconciliation.xlsx", response={200: None})
def reconciliation_xlsx(request: HttpRequest, day: dt.date, provider: str = "") -> Any:
    """Admin or provider (own only): the reconciliation as XLSX with Ukrainian headers."""
    rec = _reconciliation(request, day, provider)
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        settlement_reconciliation_xlsx(rec=rec, path=path)
        fh = open(path, "rb")  # noqa: SIM115  (closed by the response)
    finally:
        os.unlink(path)
    return FileResponse(
        fh,
        as_attachment=True,
        filename=f"settlement-{rec.provider or 'all'}-{day}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
