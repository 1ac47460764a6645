"""Writes of the money loop: take a payment exactly once, cancel it, close a point's operational day.

Payments are append-only: a cancellation is its own row, a closed day is never reopened.

Which operational day a payment belongs to: the local date (settings.TIME_ZONE) of the moment it
is accepted, unless that point's day is already closed — then the next day (and so on). The
OperationalDay row of (point, day) is locked for every payment, cancellation and close of that
point and day: it carries the receipt counter, so receipt numbers never race.
"""

from __future__ import annotations

import datetime as dt
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connection, connections, transaction
from django.utils import timezone

from merezha.core import rows
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
from merezha.organisations.models import Organisation, Service
from merezha.organisations.services import api_token_digest
from merezha.payments.models import Cancellation, OperationalDay, Payment, PaymentLine
from merezha.payments.selectors import operational_day_for, payment_id_parse
from merezha.providers.models import Account

__all__ = [
    "IdempotencyConflict",
    "LineWritten",
    "PaymentError",
    "PaymentLineIn",
    "PaymentResult",
    "PaymentTaken",
    "operational_day_close",
    "operational_days_close",
    "operational_day_lock",
    "payment_cancel",
    "payment_create",
    "payment_take_for_token",
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


@dataclass(frozen=True)
class PaymentTaken:
    """A payment just written by `payment_take_for_token`, with everything its receipt shows."""

    id: uuid.UUID
    receipt: str
    point_code: str
    cashier_username: str
    operational_day: dt.date
    accepted_at: dt.datetime
    method: str
    total: Money
    tendered: Money | None
    change: Money | None
    lines: tuple[LineWritten, ...]


def _check_cashier(cashier: Any, point: Organisation) -> None:
    if point.kind != OrgKind.PAYMENT_POINT or not point.is_active:
        raise PaymentError(f"{point.code} is not an active payment point")
    if getattr(cashier, "role", None) != Role.CASHIER or cashier.organisation_id != point.pk:
        raise PaymentError("only a cashier of this payment point may do this")


def _day_row(point: Organisation, day: dt.date) -> OperationalDay:
    """The (point, day) row, created open on first use, locked until the transaction ends."""
    row = OperationalDay.objects.select_for_update().filter(point=point, day=day).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            row = OperationalDay.objects.create(point=point, day=day)
    except IntegrityError:  # created concurrently: take the committed row
        row = OperationalDay.objects.select_for_update().get(point=point, day=day)
    return row


def _receipt_number_take(point: Organisation, day: dt.date) -> tuple[dt.date, int] | None:
    """The next receipt number of the point's open `day`, taken under the day row's lock in one
    statement (UPDATE … RETURNING); None when the row is missing or closed (take the full path)."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(OperationalDay._meta.db_table)} SET receipt_counter = receipt_counter + 1 "
            "WHERE point_id = %s AND day = %s AND status = %s RETURNING receipt_counter",
            [point.pk, connection.ops.adapt_datefield_value(day), OperationalDay.Status.OPEN],
        )
        row = cursor.fetchone()
    return None if row is None else (day, int(row[0]))


def _accounts_sql(n: int) -> Any:
    def build(connection: Any) -> str:
        qn = connection.ops.quote_name
        sql = (
            f"SELECT {rows.columns(connection, Account, 'a')}, {rows.columns(connection, Organisation, 'p')}, "
            f"{rows.columns(connection, Service, 's')} FROM {qn(Account._meta.db_table)} a "
            f"JOIN {qn(Organisation._meta.db_table)} p ON p.{qn('id')} = a.{qn('provider_id')} "
            f"JOIN {qn(Service._meta.db_table)} s ON s.{qn('id')} = a.{qn('service_id')} "
            f"WHERE a.{qn('id')} IN ({', '.join(['%s'] * n)}) ORDER BY a.{qn('id')}"
        )
        if connection.features.has_select_for_update_of:
            sql += f" FOR UPDATE OF {qn('a')}"
        elif connection.features.has_select_for_update:  # pragma: no cover - no such backend here
            sql += " FOR UPDATE"
        return sql

    return build


def _accounts_lock(account_ids: list[int]) -> dict[int, Account]:
    """The accounts of `account_ids` (with provider and service), locked in pk order (one SELECT …
    FOR UPDATE, hand-written: the ORM's compilation of it cost more than running it)."""
    ids = sorted(set(account_ids))
    with rows.hot_cursor(connection) as cursor:
        cursor.execute(rows.statement(connection, ("accounts_lock", len(ids)), _accounts_sql(len(ids))), ids)
        found = cursor.fetchall()
    na, np = rows.width(Account), rows.width(Organisation)
    accounts = {}
    for row in found:
        acc = rows.instance(connection, Account, row[:na])
        acc.provider = rows.instance(connection, Organisation, row[na : na + np])
        acc.service = rows.instance(connection, Service, row[na + np :])
        accounts[acc.pk] = acc
    return accounts


#: the payment's fields in column order; the line's without its id
_PAY_FIELDS: list[Any] = list(Payment._meta.concrete_fields)
_LINE_FIELDS: list[Any] = [f for f in PaymentLine._meta.concrete_fields if not f.primary_key]


def _insert_sql(n: int) -> Any:
    """INSERT of a payment with its `n` lines, and of its `n` lines alone (two statements)."""

    def build(connection: Any) -> tuple[str, str]:
        qn = connection.ops.quote_name
        pay = f"INSERT INTO {qn(Payment._meta.db_table)} ({', '.join(qn(f.column) for f in _PAY_FIELDS)}) "
        one = "(" + ", ".join(["%s"] * len(_LINE_FIELDS)) + ")"
        return (
            pay + f"VALUES ({', '.join(['%s'] * len(_PAY_FIELDS))})",
            f"INSERT INTO {qn(PaymentLine._meta.db_table)} ({', '.join(qn(f.column) for f in _LINE_FIELDS)}) "
            f"VALUES {', '.join([one] * n)} RETURNING {qn('id')}, {qn('account_id')}",
        )

    return build


def _payment_insert(payment: Payment, lines: list[PaymentLine], *, counted: bool) -> bool:
    """Write the payment and its lines (hand-written INSERTs).

    counted=True: the receipt number is the next one of the point's open day `payment.operational_day`,
    taken under the day row's lock (UPDATE … RETURNING). Returns False, having written nothing, when
    that day row is missing or closed. counted=False: `payment.number` is already taken.
    """
    if counted:
        taken = _receipt_number_take(payment.point, payment.operational_day)
        if taken is None:
            return False
        payment.number = taken[1]
    payment.receipt = f"{payment.point.code}-{payment.operational_day:%Y%m%d}-{payment.number}"
    pay_sql, lines_sql = rows.statement(connection, ("payment_insert", len(lines)), _insert_sql(len(lines)))
    with rows.hot_cursor(connection) as cursor:
        cursor.execute(
            pay_sql, [f.get_db_prep_save(getattr(payment, f.attname), connection) for f in _PAY_FIELDS]
        )
        cursor.execute(
            lines_sql,
            [
                f.get_db_prep_save(getattr(line, f.attname), connection)
                for line in lines
                for f in _LINE_FIELDS
            ],
        )
        inserted = cursor.fetchall()
    ids = {int(account_id): int(pk) for pk, account_id in inserted}
    for line in lines:
        line.pk = ids[line.account_id]
        line._state.adding, line._state.db = False, connection.alias
    payment._state.adding, payment._state.db = False, connection.alias
    return True


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
    """Take a payment exactly once per (point, idempotency key), in one transaction.

    The same key with the same body returns the first payment (created=False); with another body
    raises IdempotencyConflict. A request that is invalid in itself is refused before anything is
    claimed. Accounts are locked in pk order, then the point's operational day.

    On PostgreSQL the write is one statement (`merezha_payment_take`, payments migration 0002)
    when the point's day is open already; otherwise, and on SQLite, the steps run one by one here.
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
    claimed_at = timezone.now()
    moment = now or claimed_at
    change = _change_due(method, total, tendered)
    payment = Payment(  # type: ignore[misc]  # MoneyField takes Money
        id=uuid.uuid4(),
        point=point,
        cashier=cashier,
        operational_day=timezone.localdate(moment),
        number=0,
        receipt="",
        accepted_at=moment,
        method=method,
        total=total,
        tendered=tendered,
        change=change,
        idempotency_key=key,
    )
    if connection.vendor == "postgresql":
        taken = _payment_take(payment, lines, fingerprint, claimed_at)
        if taken is not None:
            return taken
    with transaction.atomic():
        # the claim carries the payment's id: it commits (or rolls back) with the payment
        claim = idempotency_claim(
            scope=f"payment:{point.code}",
            key=key,
            fingerprint=fingerprint,
            result_type="payment",
            result_id=str(payment.pk),
        )
        if not claim.is_new:
            return PaymentResult(payment=Payment.objects.get(point=point, idempotency_key=key), created=False)
        accounts = _accounts_lock([line.account_id for line in lines])
        for line in lines:
            acc = accounts.get(line.account_id)
            if acc is None:
                raise PaymentError(f"unknown account {line.account_id}")
            if not acc.is_active:
                raise PaymentError(f"account {acc.number} is no longer active at its provider")
        created = [
            PaymentLine(  # type: ignore[misc]  # MoneyField takes Money
                payment=payment,
                account=accounts[line.account_id],
                provider=accounts[line.account_id].provider,
                operational_day=payment.operational_day,
                point=point,
                amount=line.amount,
            )
            for line in lines
        ]
        # on PostgreSQL this path runs only when merezha_payment_take found no open day row: the
        # counter's UPDATE would find none either
        if connection.vendor == "postgresql" or not _payment_insert(payment, created, counted=True):
            # first payment of the day, or the day is closed: lock (or open) the day the full way
            day = operational_day_lock(point=point, moment=moment)
            day.receipt_counter += 1
            day.save(update_fields=["receipt_counter"])
            payment.operational_day, payment.number = day.day, day.receipt_counter
            for written in created:
                written.operational_day = day.day
            _payment_insert(payment, created, counted=False)
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


#: SQLSTATEs raised by merezha_payment_take (payments migration 0002)
_UNKNOWN_ACCOUNT, _INACTIVE_ACCOUNT, _NO_OPEN_DAY = "MZ001", "MZ002", "MZ003"


def _lines_written(
    lines: list[PaymentLineIn],
    line_ids: list[int],
    provider_ids: list[int],
    provider_codes: list[str],
    service_codes: list[str],
    account_numbers: list[str],
) -> tuple[LineWritten, ...]:
    """The lines as the payment functions return them (arrays in the order of `lines`)."""
    return tuple(
        LineWritten(
            id=line_ids[i],
            account_id=line.account_id,
            account_number=account_numbers[i],
            provider_id=provider_ids[i],
            provider_code=provider_codes[i],
            service_code=service_codes[i],
            amount=line.amount,
        )
        for i, line in enumerate(lines)
    )


def _change_due(method: str, total: Money, tendered: Money | None) -> Money | None:
    return tendered - total if method == Payment.Method.CASH and tendered is not None else None


def _lines_arrays(lines: list[PaymentLineIn]) -> tuple[str, str]:
    """The lines' account ids and amounts (kopecks) as the payment functions take them: two
    bigint[] in their text form, cheaper to send than psycopg's array adaptation."""
    return (
        "{" + ",".join(str(line.account_id) for line in lines) + "}",
        "{" + ",".join(str(line.amount.kopecks) for line in lines) + "}",
    )


def _call_sql(function: str, scalars: int) -> str:
    """`SELECT * FROM function(...)` with `scalars` plain parameters, then the lines' two arrays."""
    return f"SELECT * FROM {function}(" + "%s, " * scalars + "CAST(%s AS bigint[]), CAST(%s AS bigint[]))"


def _take_sql(connection: Any) -> str:
    return _call_sql("merezha_payment_take", 14)


def _payment_take(
    payment: Payment, lines: list[PaymentLineIn], fingerprint: str, claimed_at: dt.datetime
) -> PaymentResult | None:
    """PostgreSQL: the payment written by one call of `merezha_payment_take`; None when the point's
    day has no open row (the caller takes the full path). Outside a transaction the call is its
    own; inside one it runs in a savepoint, so a refusal leaves the caller's transaction usable."""
    db = connections[DEFAULT_DB_ALIAS]  # once: each access through the `connection` proxy costs
    point = payment.point
    prefix = f"{point.code}-{payment.operational_day:%Y%m%d}-"
    params = [
        f"payment:{point.code}",
        payment.idempotency_key,
        fingerprint,
        claimed_at,
        payment.pk,
        point.pk,
        payment.cashier_id,
        payment.operational_day,
        prefix,
        payment.accepted_at,
        payment.method,
        payment.total.kopecks,
        None if payment.tendered is None else payment.tendered.kopecks,
        None if payment.change is None else payment.change.kopecks,
        *_lines_arrays(lines),
    ]
    try:
        with (
            transaction.atomic(using=db.alias) if db.in_atomic_block else nullcontext(),
            rows.hot_cursor(db) as cursor,
        ):
            cursor.execute(rows.statement(db, "payment_take", _take_sql), params)
            outcome, number, line_ids, provider_ids, provider_codes, services, numbers = cursor.fetchone()
    except DatabaseError as exc:
        state = getattr(exc.__cause__, "sqlstate", None)
        detail = getattr(getattr(exc.__cause__, "diag", None), "message_primary", "")
        if state == _UNKNOWN_ACCOUNT:
            raise PaymentError(f"unknown account {detail}") from None
        if state == _INACTIVE_ACCOUNT:
            raise PaymentError(f"account {detail} is no longer active at its provider") from None
        if state == _NO_OPEN_DAY:
            return None
        raise
    if outcome == "conflict":
        raise IdempotencyConflict(payment.idempotency_key)
    if outcome == "replay":
        first = Payment.objects.get(point=point, idempotency_key=payment.idempotency_key)
        return PaymentResult(payment=first, created=False)
    payment.number, payment.receipt = number, f"{prefix}{number}"
    payment._state.adding, payment._state.db = False, db.alias
    return PaymentResult(
        payment=payment,
        created=True,
        lines=_lines_written(lines, line_ids, provider_ids, provider_codes, services, numbers),
    )


#: SQLSTATE of merezha_cashier_payment_take (payments migration 0004): not an active cashier's token
_NOT_A_CASHIER = "MZ004"


def _cashier_take_sql(connection: Any) -> str:
    return _call_sql("merezha_cashier_payment_take", 11)


def payment_take_for_token(
    *,
    token: str,
    lines: list[PaymentLineIn],
    method: str,
    tendered: Money | None,
    idempotency_key: str,
    now: dt.datetime | None = None,
) -> PaymentTaken | None:
    """PostgreSQL: the API token's cashier takes a new payment at its own point, token check and
    payment in one statement (`merezha_cashier_payment_take`, payments migration 0004).

    This is the hot path of `POST /api/v1/payments` for the common case only. It returns None, and
    keeps nothing, whenever the case is not that one: SQLite; a token that is not an active
    cashier's of an active payment point; an Idempotency-Key or request that `payment_create`
    would refuse or that was seen before (replay or conflict); an unknown or inactive account; no
    open day row yet (the day's first payment) or a closed day. The caller then takes the full
    route (authentication, `payment_create`), which answers the same request from the start.
    Outside a transaction the call is its own; inside one it runs in a savepoint.
    """
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        return None
    try:
        key = idempotency_key_clean(idempotency_key or "")
        if not key:
            return None
        total = _validate(lines, method, tendered)
    except (IdempotencyKeyInvalid, PaymentError):
        return None
    created_at = timezone.now()
    moment = now or created_at
    day = timezone.localdate(moment)
    change = _change_due(method, total, tendered)
    payment_id = uuid.uuid4()
    params = [
        api_token_digest(token),
        key,
        _fingerprint(lines, method, tendered),
        created_at,
        payment_id,
        day,
        moment,
        method,
        total.kopecks,
        None if tendered is None else tendered.kopecks,
        None if change is None else change.kopecks,
        *_lines_arrays(lines),
    ]
    try:
        with transaction.atomic(using=db.alias) if db.in_atomic_block else nullcontext():
            row = rows.hot_call(db, rows.statement(db, "cashier_payment_take", _cashier_take_sql), params)
    except DatabaseError as exc:
        state = getattr(exc.__cause__, "sqlstate", None)
        if state in (_NOT_A_CASHIER, _UNKNOWN_ACCOUNT, _INACTIVE_ACCOUNT, _NO_OPEN_DAY):
            return None
        raise
    assert row is not None  # the function returns one row
    outcome, point_code, cashier, number, line_ids, provider_ids, providers, services, numbers = row
    if outcome != "created":  # replay or conflict: the full route reads or refuses it
        return None
    return PaymentTaken(
        id=payment_id,
        receipt=f"{point_code}-{day:%Y%m%d}-{number}",
        point_code=point_code,
        cashier_username=cashier,
        operational_day=day,
        accepted_at=moment,
        method=method,
        total=total,
        tendered=tendered,
        change=change,
        lines=_lines_written(lines, line_ids, provider_ids, providers, services, numbers),
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
    rows = list(
        OperationalDay.objects.select_for_update()
        .filter(day=day, point_id__in=point_ids)
        .order_by("point_id")
        .values_list("pk", "point_id", "status")
    )
    open_rows = [(pk, point_id) for pk, point_id, status in rows if status == OperationalDay.Status.OPEN]
    OperationalDay.objects.filter(pk__in=[pk for pk, _ in open_rows]).update(
        status=OperationalDay.Status.CLOSED,
        closed_at=timezone.now(),
        closed_by=user if getattr(user, "pk", None) else None,
    )
    return [point_id for _, point_id in open_rows]
