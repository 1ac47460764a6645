"""API routes of the payments app, mounted by merezha.api at /api/v1/.

Who may call what:
- POST /payments, POST /payments/{id}/cancel, GET /payments/{id}: a cashier,
  for its own payment point only (another point's payment answers 404).
- Idempotency-Key: required by POST /payments (payments.services.payment_create keeps the key);
  optional on POST /payments/{id}/cancel (merezha.api_idempotency keeps the first answer).
- GET /dwellings/{id}/accounts: a cashier, a subsidy officer or an information-centre admin; every
  look-up is written to the audit log (payments.selectors.dwelling_accounts_read).

The day close (POST /days/{date}/close) issues registers and lives in merezha.registers.api.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import BaseModel

from merezha.api_auth import require_role
from merezha.api_idempotency import IdempotencyKeyHeader, idempotent
from merezha.core.money import Money, MoneyError
from merezha.core.roles import Role
from merezha.core.services import IdempotencyConflict
from merezha.payments.models import Payment
from merezha.payments.selectors import dwelling_accounts_read, payment_get
from merezha.payments.services import (
    MAX_ID,
    LineWritten,
    PaymentError,
    PaymentLineIn,
    payment_cancel,
    payment_create,
    payment_take_for_token,
)
from merezha.registry.models import Dwelling

router = Router(tags=["payments"])

# The payment's own schemas are plain pydantic models: ninja's Schema reads ORM objects through a
# getter on every field (≈ 0.3 ms of each payment request); these only ever see dicts and JSON.


class LineIn(BaseModel):
    account_id: int
    amount: str


class PaymentIn(BaseModel):
    lines: list[LineIn]
    method: str
    tendered: str | None = None


class LineOut(BaseModel):
    account_id: int
    provider: str
    service: str
    account: str
    amount: str


class PaymentOut(BaseModel):
    id: str
    receipt: str
    point: str
    cashier: str
    operational_day: dt.date
    accepted_at: dt.datetime
    method: str
    total: str
    tendered: str | None
    change: str | None
    lines: list[LineOut]
    cancelled: bool
    cancel_reason: str | None


class ErrorOut(Schema):
    detail: str


class CancelIn(Schema):
    reason: str


class AccountDebtOut(Schema):
    account_id: int
    provider: str
    provider_name: str
    service: str
    account: str
    payer: str
    closing: str
    paid_since: str
    debt: str
    as_of: dt.date
    period: str
    stale: bool


def payment_out(payment: Payment, written: tuple[LineWritten, ...] | None = None) -> dict[str, Any]:
    """The payment as the API shows it; `written`: the lines of a payment just created (not cancelled)."""
    cancellation = None
    if written is not None:
        lines = [_line_out(line) for line in written]
    else:
        cancellation = getattr(payment, "cancellation", None) if hasattr(payment, "cancellation") else None
        lines = [
            {
                "account_id": line.account_id,
                "provider": line.provider.code,
                "service": line.account.service.code,
                "account": line.account.number,
                "amount": str(line.amount),
            }
            for line in payment.lines.all()
        ]
    return _payment_out(
        id=payment.pk,
        receipt=payment.receipt,
        point=payment.point.code,
        cashier=payment.cashier.username,
        operational_day=payment.operational_day,
        accepted_at=payment.accepted_at,
        method=payment.method,
        total=payment.total,
        tendered=payment.tendered,
        change=payment.change,
        lines=lines,
        cancelled=cancellation is not None,
        cancel_reason=cancellation.reason if cancellation is not None else None,
    )


def _line_out(line: LineWritten) -> dict[str, Any]:
    return {
        "account_id": line.account_id,
        "provider": line.provider_code,
        "service": line.service_code,
        "account": line.account_number,
        "amount": str(line.amount),
    }


def _payment_out(
    *,
    id: Any,
    receipt: str,
    point: str,
    cashier: str,
    operational_day: dt.date,
    accepted_at: dt.datetime,
    method: str,
    total: Money,
    tendered: Money | None,
    change: Money | None,
    lines: list[dict[str, Any]],
    cancelled: bool = False,
    cancel_reason: str | None = None,
) -> dict[str, Any]:
    return {
        "id": str(id),
        "receipt": receipt,
        "point": point,
        "cashier": cashier,
        "operational_day": operational_day,
        "accepted_at": accepted_at,
        "method": method,
        "total": str(total),
        "tendered": None if tendered is None else str(tendered),
        "change": None if change is None else str(change),
        "lines": lines,
        "cancelled": cancelled,
        "cancel_reason": cancel_reason,
    }


def _parse_money(text: str | None, what: str) -> Money | None:
    if text is None:
        return None
    try:
        return Money.parse(text)
    except MoneyError as exc:
        raise HttpError(422, f"{what}: {exc}") from None


@router.post("/payments", response={200: PaymentOut, 201: PaymentOut, 409: ErrorOut, 422: ErrorOut})
def payments_create(request: HttpRequest, body: PaymentIn) -> Status[dict[str, Any]]:
    """Cashier only, at its own point: take a payment. The Idempotency-Key header is required;
    the same key and body return the same receipt (200), another body under the key answers 409."""
    user = require_role(request, Role.CASHIER)
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return Status(422, {"detail": "the Idempotency-Key header is required"})
    lines = []
    for i, line in enumerate(body.lines, start=1):
        amount = _parse_money(line.amount, f"line {i}: amount")
        assert amount is not None
        lines.append(PaymentLineIn(account_id=line.account_id, amount=amount))
    tendered = _parse_money(body.tendered, "tendered")
    try:
        result = payment_create(
            cashier=user,
            point=user.organisation,
            lines=lines,
            method=body.method,
            tendered=tendered,
            idempotency_key=key,
        )
    except IdempotencyConflict:
        return Status(409, {"detail": "this Idempotency-Key was used for a different payment"})
    except PaymentError as exc:
        return Status(422, {"detail": str(exc)})
    if result.created:  # everything is in hand: no second read
        return Status(201, payment_out(result.payment, written=result.lines))
    payment = payment_get(payment_id=result.payment.pk, point_id=user.organisation_id)
    assert payment is not None
    return Status(200, payment_out(payment))


def payments_create_hot(request: HttpRequest) -> HttpResponse | None:
    """The hot path of POST /payments (merezha.api_hot.ApiHotRouteMiddleware calls it before
    URL routing): a cashier's ordinary new payment on PostgreSQL, the token check and the payment
    in one statement (`payment_take_for_token`). The same caller and checks as `payments_create`:
    an active cashier's token, at its own point.

    Anything else returns None with nothing kept: a request this path does not parse exactly as
    the route does, a token that is not an active cashier's, a replay or another key's conflict,
    a refusal, the day's first payment. The route then answers the request from the start.
    """
    auth = request.META.get("HTTP_AUTHORIZATION", "")
    if auth[:7].lower() != "bearer " or request.content_type != "application/json":
        return None
    key = request.META.get("HTTP_IDEMPOTENCY_KEY", "").strip()
    try:
        body = PaymentIn.model_validate(json.loads(request.body))
        lines = [
            PaymentLineIn(account_id=line.account_id, amount=Money.parse(line.amount)) for line in body.lines
        ]
        tendered = None if body.tendered is None else Money.parse(body.tendered)
    except (ValueError, RecursionError):  # bad JSON or UTF-8, a pydantic ValidationError, a bad amount
        return None
    taken = payment_take_for_token(
        token=auth[7:], lines=lines, method=body.method, tendered=tendered, idempotency_key=key
    )
    if taken is None:
        return None
    out = _payment_out(
        id=taken.id,
        receipt=taken.receipt,
        point=taken.point_code,
        cashier=taken.cashier_username,
        operational_day=taken.operational_day,
        accepted_at=taken.accepted_at,
        method=taken.method,
        total=taken.total,
        tendered=taken.tendered,
        change=taken.change,
        lines=[_line_out(line) for line in taken.lines],
    )
    from merezha.api import api  # the API this router is mounted on (it imports this module)

    # rendered as the route renders its 201: validated by its schema, by the API's renderer
    return api.create_response(request, PaymentOut.model_validate(out).model_dump(), status=201)


@router.get("/payments/{payment_id}", response={200: PaymentOut, 404: ErrorOut})
def payments_get(request: HttpRequest, payment_id: str) -> Status[dict[str, Any]]:
    """Cashier only: a payment of its own point (any other answers 404)."""
    user = require_role(request, Role.CASHIER)
    payment = payment_get(payment_id=payment_id, point_id=user.organisation_id)
    if payment is None:
        return Status(404, {"detail": "no such payment at this point"})
    return Status(200, payment_out(payment))


@router.post(
    "/payments/{payment_id}/cancel", response={200: PaymentOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
)
def payments_cancel(
    request: HttpRequest, payment_id: str, body: CancelIn, idempotency_key: IdempotencyKeyHeader = ""
) -> Status[Any]:
    """Cashier only, at its own point: cancel a payment of today's open operational day, with a reason.
    A payment already cancelled answers 409; another point's payment 404. With an Idempotency-Key, a
    retry of the same request returns the first answer; the same key with another request, 409."""
    user = require_role(request, Role.CASHIER)

    def write() -> Status[dict[str, Any]]:
        if payment_get(payment_id=payment_id, point_id=user.organisation_id) is None:
            return Status(404, {"detail": "no such payment at this point"})
        if "\x00" in body.reason:  # PostgreSQL refuses NUL in text
            return Status(422, {"detail": "the reason must not contain a NUL character"})
        try:
            payment_cancel(payment_id=payment_id, cashier=user, reason=body.reason)
        except PaymentError as exc:
            return Status((409 if "already cancelled" in str(exc) else 422), {"detail": str(exc)})
        payment = payment_get(payment_id=payment_id, point_id=user.organisation_id)
        assert payment is not None
        return Status(200, payment_out(payment))

    return idempotent(request, idempotency_key, route="payment-cancel", data=body.model_dump(), write=write)


@router.get("/dwellings/{dwelling_id}/accounts", response={200: list[AccountDebtOut], 404: ErrorOut})
def dwelling_accounts(
    request: HttpRequest, dwelling_id: int
) -> Status[list[dict[str, Any]] | dict[str, str]]:
    """Cashier, subsidy officer or admin: every account of the dwelling with its current debt
    (exchange-v1 §2). Every look-up is written to the audit log."""
    user = require_role(request, Role.CASHIER, Role.SUBSIDY, Role.ADMIN)
    if not 0 < dwelling_id <= MAX_ID or not Dwelling.objects.filter(pk=dwelling_id).exists():
        return Status(404, {"detail": "no such dwelling"})
    debts = dwelling_accounts_read(dwelling_id=dwelling_id, user=user)
    return Status(
        200,
        [
            {
                "account_id": d.account_id,
                "provider": d.provider_code,
                "provider_name": d.provider_name,
                "service": d.service_code,
                "account": d.number,
                "payer": d.payer,
                "closing": str(d.closing),
                "paid_since": str(d.paid_since),
                "debt": str(d.debt),
                "as_of": d.as_of,
                "period": d.period.strftime("%Y-%m"),
                "stale": d.stale,
            }
            for d in debts
        ],
    )
