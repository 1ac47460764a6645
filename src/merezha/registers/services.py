"""Writes of the registers app: day close (per point and network-wide) and the issue of registers.

At day close every accepted, uncancelled payment line of the closed point-days that is not yet in
a register goes into a new register of its provider (one per provider per close, numbered
1, 2, 3… per provider under a lock of the provider's row). A register is never changed after it
is issued; each one is filed in the provider's inbox with the sha256 of its canonical JSON.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from merezha.core.dates import ImplausibleDate, plausible_day_check
from merezha.core.hooks import registers_issued
from merezha.core.inbox import HUB_SENDER
from merezha.core.money import Money
from merezha.core.roles import OrgKind, Role
from merezha.core.services import inbox_acknowledge, inbox_deliver
from merezha.organisations.locks import organisations_lock
from merezha.organisations.models import Organisation, User
from merezha.payments.models import OperationalDay, PaymentLine
from merezha.payments.services import PaymentError, operational_day_close, operational_days_close
from merezha.registers.models import Register, RegisterLine


@dataclass
class DayCloseResult:
    day: dt.date
    closed_points: list[str] = field(default_factory=list)
    registers: list[Register] = field(default_factory=list)


def register_canonical(*, register: Register) -> dict[str, Any]:
    """The register as one JSON-able dict: the summary of exchange-v1 §3 and its lines in order.

    Its sha256 (`canonical_checksum`) is the register's checksum, in the inbox document too.
    """
    from merezha.registers.files import register_lines

    return {
        "number": register.number,
        "provider": register.provider.code,
        "operational_day": register.operational_day.isoformat(),
        "count": register.count,
        "total": str(register.total),
        "points": register.points,
        "lines": register_lines(registers=[register]),
    }


def canonical_checksum(data: dict[str, Any]) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


_INSERT_LINES = """
INSERT INTO {rl} (register_id, line, payment_line_id, payment_id, receipt, paid_at, point_code,
                  account, service, payer, address, amount)
SELECT r.id,
       ROW_NUMBER() OVER (PARTITION BY r.id ORDER BY p.accepted_at, pt.code, p.number, pl.id),
       pl.id, p.id, p.receipt, p.accepted_at, pt.code,
       a.number, s.code, SUBSTR(a.payer, 1, 200),
       SUBSTR(a.street || ', ' || a.house || CASE WHEN a.apartment <> '' THEN ', кв. ' || a.apartment ELSE '' END, 1, 200),
       pl.amount
FROM {pl} pl
JOIN {p} p ON p.id = pl.payment_id
JOIN {org} pt ON pt.id = pl.point_id
JOIN {acc} a ON a.id = pl.account_id
JOIN {svc} s ON s.id = a.service_id
JOIN {reg} r ON r.provider_id = pl.provider_id AND r.id IN ({ids})
WHERE pl.operational_day = %s
  AND pl.point_id IN (SELECT od.point_id FROM {od} od WHERE od.day = %s AND od.status = 'closed')
  AND NOT EXISTS (SELECT 1 FROM {rl} x WHERE x.payment_line_id = pl.id)
  AND NOT EXISTS (SELECT 1 FROM {c} c WHERE c.payment_id = pl.payment_id)
"""


def _insert_lines_sql(count: int) -> str:
    from merezha.organisations.models import Service
    from merezha.payments.models import Cancellation, Payment
    from merezha.providers.models import Account

    return _INSERT_LINES.format(
        rl=RegisterLine._meta.db_table,
        pl=PaymentLine._meta.db_table,
        p=Payment._meta.db_table,
        org=Organisation._meta.db_table,
        acc=Account._meta.db_table,
        svc=Service._meta.db_table,
        od=OperationalDay._meta.db_table,
        c=Cancellation._meta.db_table,
        reg=Register._meta.db_table,
        ids=", ".join(["%s"] * count),
    )


def registers_issue(*, day: dt.date, user: User | None = None) -> list[Register]:
    """Issue the registers of `day` for every closed point-day's unregistered lines (caller's transaction).

    Set-based: one INSERT … SELECT takes every provider's lines, numbered per register in order of
    acceptance; the summaries are one aggregate in SQL. Lines of cancelled payments are left out; a provider with no
    line gets no register.
    """
    closed_points = OperationalDay.objects.filter(day=day, status=OperationalDay.Status.CLOSED).values(
        "point_id"
    )
    pending = PaymentLine.objects.filter(
        operational_day=day,
        point_id__in=closed_points,
        register_line__isnull=True,
        payment__cancellation__isnull=True,
    )
    provider_ids = sorted(set(pending.values_list("provider_id", flat=True).distinct()))
    if not provider_ids:
        return []
    # one issuer per provider at a time: the number and the lines are taken under this lock
    providers = organisations_lock(organisation_ids=provider_ids)
    issued_at = timezone.now()
    issued_by = user if getattr(user, "pk", None) else None
    last_numbers = dict(
        Register.objects.filter(provider_id__in=provider_ids)
        .values("provider_id")
        .annotate(n=Max("number"))
        .values_list("provider_id", "n")
    )
    ordered = sorted(provider_ids, key=lambda pk: providers[pk].code)
    registers = [
        Register.objects.create(  # type: ignore[misc]  # MoneyField takes Money
            provider=providers[pk],
            number=(last_numbers.get(pk) or 0) + 1,
            operational_day=day,
            issued_at=issued_at,
            issued_by=issued_by,
            count=0,
            total=Money(0),
            points=[],
            checksum="",
        )
        for pk in ordered
    ]
    # every provider's lines in one INSERT … SELECT, numbered per register in order of acceptance
    with connection.cursor() as cursor:
        cursor.execute(_insert_lines_sql(len(registers)), [*(r.pk for r in registers), day, day])
    # the summaries: one aggregate over the new lines, per register and point
    points: dict[int, list[dict[str, Any]]] = {}
    for row in (
        RegisterLine.objects.filter(register__in=registers)
        .values("register_id", "point_code")
        .annotate(n=Count("pk"), t=Sum("amount"))
        .order_by("register_id", "point_code")
    ):
        points.setdefault(row["register_id"], []).append(
            {"point": row["point_code"], "count": row["n"], "total": str(_money(row["t"]))}
        )
    out = []
    for register in registers:
        if register.pk not in points:  # the lines were taken by a concurrent close: no empty register
            register.delete()
            continue
        register.points = points[register.pk]
        register.count = sum(p["count"] for p in register.points)
        register.total = Money.total(Money.parse(p["total"]) for p in register.points)
        register.checksum = canonical_checksum(register_canonical(register=register))
        register.document = inbox_deliver(
            kind="register",
            sender_code=HUB_SENDER,
            recipient_code=register.provider.code,
            values={"number": register.number, "day": day.isoformat()},
            object_type="register",
            object_id=str(register.pk),
            checksum=register.checksum,
        )
        register.save(update_fields=["count", "total", "points", "checksum", "document"])
        out.append(register)
    registers_issued(registers=out, day=day)  # settings.MEREZHA_AFTER_REGISTERS (settlement orders)
    return out


def _money(value: Any) -> Money:
    if value is None:
        return Money(0)
    return value if isinstance(value, Money) else Money(int(value))


def _check_day(day: dt.date) -> None:
    if day > timezone.localdate() + dt.timedelta(days=1):
        raise PaymentError(f"{day} is in the future: it cannot be closed yet")
    try:
        plausible_day_check(day)
    except ImplausibleDate as exc:
        raise PaymentError(str(exc)) from None


def point_day_close(*, point: Organisation, user: Any, day: dt.date) -> DayCloseResult:
    """Close one point's operational day and issue the registers of its payments, in one transaction.

    A cashier may close only its own point. Closing a closed day again changes nothing.
    """
    if point.kind != OrgKind.PAYMENT_POINT:
        raise PaymentError(f"{point.code} is not a payment point")
    if getattr(user, "role", None) == Role.CASHIER and user.organisation_id != point.pk:
        raise PaymentError("a cashier may close only the day of its own point")
    _check_day(day)
    result = DayCloseResult(day=day)
    with transaction.atomic():
        _row, closed_now = operational_day_close(point=point, user=user, day=day)
        if closed_now:
            result.closed_points.append(point.code)
        result.registers = registers_issue(day=day, user=user)
    return result


def days_close(*, day: dt.date, user: User | None = None) -> DayCloseResult:
    """Close `day` at every active payment point that has not closed it, and issue the registers.

    Points that took no payment get a closed day too, so a payment taken later goes to the next day.
    """
    _check_day(day)
    result = DayCloseResult(day=day)
    with transaction.atomic():
        points = dict(
            Organisation.objects.filter(kind=OrgKind.PAYMENT_POINT, is_active=True).values_list("pk", "code")
        )
        closed = operational_days_close(point_ids=sorted(points), user=user, day=day)
        result.closed_points = sorted(points[pk] for pk in closed)
        result.registers = registers_issue(day=day, user=user)
    return result


def register_acknowledge(*, register: Register, user: User) -> Register:
    """The provider acknowledges a register (once; again changes nothing)."""
    if register.document is not None:
        inbox_acknowledge(document=register.document, user=user)
    return register
