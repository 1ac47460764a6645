"""Writes of the money loop: take a payment exactly once, cancel it, close a point's operational day.

Payments are append-only: a cancellation is its own row, a closed day is never reopened.

Which operational day a payment belongs to: the local date (settings.TIME_ZONE) of the moment it
is accepted, unless that point's day is already closed — then the next day (and so on). The
OperationalDay row of (point, day) is locked for every payment, cancellation and close of that
point and day: it carries the receipt counter, so receipt numbers never race. Every lock is taken
through `merezha.payments.locks`, in the order that module states.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from merezha.core.money import Money
from merezha.core.roles import OrgKind, Role
from merezha.core.services import (
    IDEMPOTENCY_KEY_MAX_LENGTH,
    IdempotencyConflict,
    IdempotencyKeyInvalid,
    audit_record,
    idempotency_claim,
    idempotency_key_clean,
    request_fingerprint,
)
from merezha.organisations.models import Organisation
from merezha.payments.locks import accounts_lock, operational_day_lock_row, operational_days_lock
from merezha.payments.models import Cancellation, OperationalDay, Payment, PaymentLine
from merezha.payments.selectors import operational_day_for, payment_id_parse

__all__ = [
    "IdempotencyConflict",
    "LineWritten",
    "PaymentError",
    "PaymentLineIn",
    "PaymentResult",
    "operational_day_close",
    "operational_days_close",
    "operational_day_lock",
    "payment_cancel",
    "payment_create",
]

#: Largest amount of one payment line (a guard against typos: 10 million hryvnias).
MAX_LINE = Money(1_000_000_000)
#: The largest id a database row can have (BIGINT).
MAX_ID = 2**63 - 1


class PaymentError(ValueError):
    """A payment, cancellation or day close refused, with a message for the cashier."""


@dataclass(frozen=True)
class PaymentLineIn:
    account_id: int
    amount: Money


@dataclass(frozen=True)
class LineWritten:
    """A line of a payment just written, with what its receipt shows of the account."""

    id: int
    account_id: int
    account_number: str
    provider_id: int
    provider_code: str
    service_code: str
    amount: Money


@dataclass(frozen=True)
class PaymentResult:
    payment: Payment
    created: bool
    #: the payment's lines, in the order asked, when created now; empty for a replay (read them
    #: through the selectors)
    lines: tuple[LineWritten, ...] = ()


def _check_cashier(cashier: Any, point: Organisation) -> None:
    if point.kind != OrgKind.PAYMENT_POINT or not point.is_active:
        raise PaymentError(f"{point.code} is not an active payment point")
    if getattr(cashier, "role", None) != Role.CASHIER or cashier.organisation_id != point.pk:
        raise PaymentError("only a cashier of this payment point may do this")


def _day_row(point: Organisation, day: dt.date) -> OperationalDay:
    """The (point, day) row, created open on first use, locked until the transaction ends."""
    row = operational_day_lock_row(point_id=point.pk, day=day)
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return OperationalDay.objects.create(point=point, day=day)  # ours alone until commit
    except IntegrityError:  # created concurrently: take the committed row
        row = operational_day_lock_row(point_id=point.pk, day=day)
    assert row is not None  # day rows are never deleted
    return row


def operational_day_lock(*, point: Organisation, moment: dt.datetime) -> OperationalDay:
    """The open operational day the moment belongs to at the point, locked (see the module doc)."""
    day = timezone.localdate(moment)
    for _ in range(400):
        row = _day_row(point, day)
        if row.status == OperationalDay.Status.OPEN:
            return row
        day += dt.timedelta(days=1)
    raise PaymentError(f"no open operational day at {point.code}")  # pragma: no cover


def _fingerprint(lines: list[PaymentLineIn], method: str, tendered: Money | None) -> str:
    return request_fingerprint(
        {
            "lines": [[line.account_id, Money.parse(line.amount).kopecks] for line in lines],
            "method": method,
            "tendered": None if tendered is None else Money.parse(tendered).kopecks,
        }
    )


def _validate(lines: list[PaymentLineIn], method: str, tendered: Money | None) -> Money:
    if method not in Payment.Method.values:
        raise PaymentError(f"unknown payment method {method!r}: use cash or card")
    if not lines:
        raise PaymentError("a payment needs at least one line")
    seen: set[int] = set()
    for i, line in enumerate(lines, start=1):
        if not isinstance(line.amount, Money):
            raise PaymentError(f"line {i}: amount must be money")
        if line.amount.kopecks <= 0:
            raise PaymentError(f"line {i}: amount must be positive, got {line.amount}")
        if line.amount > MAX_LINE:
            raise PaymentError(f"line {i}: amount {line.amount} is over the limit {MAX_LINE}")
        if not 0 < line.account_id <= MAX_ID:
            raise PaymentError(f"unknown account {line.account_id}")
        if line.account_id in seen:
            raise PaymentError(f"line {i}: account {line.account_id} appears twice")
        seen.add(line.account_id)
    total = Money.total(line.amount for line in lines)
    if method == Payment.Method.CASH:
        if tendered is not None and tendered < total:
            raise PaymentError(f"cash tendered {tendered} is less than the total {total}")
    elif tendered is not None:
        raise PaymentError("tendered is only for cash payments")
    return total


def payment_create(
    *,
    cashier: Any,
    point: Organisation,
    lines: list[PaymentLineIn],
    method: str,
    tendered: Money | None,
    idempotency_key: str,
    now: dt.datetime | None = None,
) -> PaymentResult:
    """Take a payment exactly once per (point, idempotency key), in one transaction: the one
    implementation, which the cashier's desk and the API both call.

    The same key with the same body returns the first payment (created=False); with another body
    raises IdempotencyConflict. A request that is invalid in itself is refused before anything is
    claimed. In the transaction: the idempotency claim, then the point's open operational day
    locked (opened on first use, or the next day when this one is closed), then the accounts
    locked in id order (`merezha.payments.locks`), then the receipt number, the payment and its
    lines. Any refusal rolls all of it back, the claim included.
    """
    try:
        key = idempotency_key_clean(idempotency_key or "")
    except IdempotencyKeyInvalid as exc:
        raise PaymentError(str(exc)) from None
    if not key:
        raise PaymentError(f"an Idempotency-Key of 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} characters is required")
    _check_cashier(cashier, point)
    total = _validate(lines, method, tendered)
    fingerprint = _fingerprint(lines, method, tendered)
    moment = now or timezone.now()
    payment_id = uuid.uuid4()
    with transaction.atomic():
        # the claim carries the payment's id: it commits (or rolls back) with the payment
        claim = idempotency_claim(
            scope=f"payment:{point.code}",
            key=key,
            fingerprint=fingerprint,
            result_type="payment",
            result_id=str(payment_id),
        )
        if not claim.is_new:
            return PaymentResult(payment=Payment.objects.get(point=point, idempotency_key=key), created=False)
        day = operational_day_lock(point=point, moment=moment)
        accounts = accounts_lock(account_ids=[line.account_id for line in lines])
        for line in lines:
            account = accounts.get(line.account_id)
            if account is None:
                raise PaymentError(f"unknown account {line.account_id}")
            if not account.is_active:
                raise PaymentError(f"account {account.number} is no longer active at its provider")
        day.receipt_counter += 1
        day.save(update_fields=["receipt_counter"])
        payment = Payment.objects.create(  # type: ignore[misc]  # MoneyField takes Money
            id=payment_id,
            point=point,
            cashier=cashier,
            operational_day=day.day,
            number=day.receipt_counter,
            receipt=f"{point.code}-{day.day:%Y%m%d}-{day.receipt_counter}",
            accepted_at=moment,
            method=method,
            total=total,
            tendered=tendered,
            change=tendered - total if method == Payment.Method.CASH and tendered is not None else None,
            idempotency_key=key,
        )
        created = PaymentLine.objects.bulk_create(
            [
                PaymentLine(  # type: ignore[misc]  # MoneyField takes Money
                    payment=payment,
                    account=accounts[line.account_id],
                    provider=accounts[line.account_id].provider,
                    operational_day=day.day,
                    point=point,
                    amount=line.amount,
                )
                for line in lines
            ]
        )
    return PaymentResult(
        payment=payment,
        created=True,
        lines=tuple(
            LineWritten(
                id=line.pk,
                account_id=line.account_id,
                account_number=line.account.number,
                provider_id=line.provider_id,
                provider_code=line.provider.code,
                service_code=line.account.service.code,
                amount=line.amount,
            )
            for line in created
        ),
    )


def payment_cancel(
    *, payment_id: Any, cashier: Any, reason: str, now: dt.datetime | None = None
) -> Cancellation:
    """Cancel a payment of the cashier's point on the same, still open, operational day, with a reason."""

    reason = (reason or "").strip()
    if not reason:
        raise PaymentError("a reason is required to cancel a payment")
    if len(reason) > 300:
        raise PaymentError("the reason is longer than 300 characters")
    pid = payment_id_parse(payment_id)
    point_id = getattr(cashier, "organisation_id", None)
    if pid is None or point_id is None:
        raise PaymentError("no such payment at this point")
    with transaction.atomic():
        payment = Payment.objects.filter(pk=pid, point_id=point_id).select_related("point").first()
        if payment is None:
            raise PaymentError("no such payment at this point")
        _check_cashier(cashier, payment.point)
        day = _day_row(payment.point, payment.operational_day)
        if day.status == OperationalDay.Status.CLOSED:
            raise PaymentError(
                f"the operational day {payment.operational_day} is closed: it cannot be cancelled"
            )
        moment = now or timezone.now()
        current = operational_day_for(point_id=payment.point_id, moment=moment)
        if current != payment.operational_day:
            raise PaymentError(
                f"only a payment of today's operational day can be cancelled (it is of {payment.operational_day})"
            )
        if Cancellation.objects.filter(payment=payment).exists():
            raise PaymentError(f"payment {payment.receipt} is already cancelled")
        cancellation = Cancellation.objects.create(
            payment=payment, cashier=cashier, reason=reason, cancelled_at=moment
        )
        audit_record(
            user=cashier,
            action="payment.cancel",
            object_type="payment",
            object_id=str(payment.pk),
            detail={"receipt": payment.receipt, "reason": reason},
        )
    return cancellation


def operational_day_close(*, point: Organisation, user: Any, day: dt.date) -> tuple[OperationalDay, bool]:
    """Mark the point's day closed (inside the caller's transaction); returns (row, closed_now).

    A day with no payment yet is closed too, so a later payment goes to the next day. The day
    close that people and commands call is `merezha.registers.services.point_day_close`: it calls
    this and issues the day's registers in the same transaction (registers depend on payments,
    not the reverse).
    """
    row = _day_row(point, day)
    if row.status == OperationalDay.Status.CLOSED:
        return row, False
    row.status = OperationalDay.Status.CLOSED
    row.closed_at = timezone.now()
    row.closed_by = user if getattr(user, "pk", None) else None
    row.save(update_fields=["status", "closed_at", "closed_by"])
    return row, True


def operational_days_close(*, point_ids: list[int], user: Any, day: dt.date) -> list[int]:
    """Close `day` at many points at once (inside the caller's transaction); returns the points closed now.

    Set-based: the missing day rows are created, then every row of the day is locked in point
    order (the same lock a payment takes) and the open ones are closed in one UPDATE.
    """
    OperationalDay.objects.bulk_create(
        [OperationalDay(point_id=pk, day=day) for pk in point_ids], ignore_conflicts=True, batch_size=1000
    )
    rows = list(operational_days_lock(point_ids=point_ids, day=day).values_list("pk", "point_id", "status"))
    open_rows = [(pk, point_id) for pk, point_id, status in rows if status == OperationalDay.Status.OPEN]
    OperationalDay.objects.filter(pk__in=[pk for pk, _ in open_rows]).update(
        status=OperationalDay.Status.CLOSED,
        closed_at=timezone.now(),
        closed_by=user if getattr(user, "pk", None) else None,
    )
    return [point_id for _, point_id in open_rows]
