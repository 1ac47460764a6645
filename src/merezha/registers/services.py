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
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from merezha.core.money import Money
from merezha.core.roles import OrgKind, Role
from merezha.core.services import inbox_acknowledge, inbox_deliver
from merezha.organisations.models import Organisation
from merezha.payments.models import OperationalDay, PaymentLine
from merezha.payments.services import PaymentError, operational_day_close
from merezha.registers.models import Register, RegisterLine

#: The hub's own code as the sender of inbox documents.
HUB_CODE = "hub"

_LINE_FIELDS = (
    "pk",
    "provider_id",
    "point_id",
    "payment_id",
    "payment__receipt",
    "payment__accepted_at",
    "point__code",
    "account__number",
    "account__service__code",
    "account__payer",
    "account__street",
    "account__house",
    "account__apartment",
    "amount",
)


@dataclass
class DayCloseResult:
    day: dt.date
    closed_points: list[str] = field(default_factory=list)
    registers: list[Register] = field(default_factory=list)


def _address(street: str, house: str, apartment: str) -> str:
    parts = [street, house]
    if apartment:
        parts.append(f"кв. {apartment}")
    return ", ".join(p for p in parts if p)


def register_canonical(*, register: Register, lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The register as one JSON-able dict: the summary of exchange-v1 §3 and its lines in order."""
    if lines is None:
        lines = [register_line_dict(rl) for rl in register.lines.order_by("line")]
    return {
        "number": register.number,
        "provider": register.provider.code,
        "operational_day": register.operational_day.isoformat(),
        "count": register.count,
        "total": str(register.total),
        "points": register.points,
        "lines": lines,
    }


def register_line_dict(rl: RegisterLine) -> dict[str, Any]:
    return {
        "line": rl.line,
        "payment_id": str(rl.payment_id),
        "receipt": rl.receipt,
        "paid_at": timezone.localtime(rl.paid_at).replace(microsecond=0, tzinfo=None).isoformat(sep=" "),
        "point": rl.point_code,
        "account": rl.account,
        "service": rl.service,
        "payer": rl.payer,
        "address": rl.address,
        "amount": str(rl.amount),
    }


def canonical_checksum(data: dict[str, Any]) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def registers_issue(*, day: dt.date, user: Any = None) -> list[Register]:
    """Issue the registers of `day` for every closed point-day's unregistered lines (caller's transaction).

    Lines of cancelled payments are left out; a provider with no line gets no register.
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
    providers = {
        p.pk: p for p in Organisation.objects.select_for_update().filter(pk__in=provider_ids).order_by("pk")
    }
    by_provider: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in pending.order_by("payment__accepted_at", "point__code", "payment__number", "pk").values(
        *_LINE_FIELDS
    ):
        by_provider[row["provider_id"]].append(row)
    issued_at = timezone.now()
    issued_by = user if getattr(user, "pk", None) else None
    out = []
    for provider_id in sorted(provider_ids, key=lambda pk: providers[pk].code):
        rows = by_provider.get(provider_id)
        if not rows:
            continue
        provider = providers[provider_id]
        last = Register.objects.filter(provider=provider).aggregate(n=Max("number"))["n"] or 0
        per_point: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        total = 0
        for row in rows:
            kop = row["amount"].kopecks if isinstance(row["amount"], Money) else int(row["amount"])
            per_point[row["point__code"]][0] += 1
            per_point[row["point__code"]][1] += kop
            total += kop
        register = Register.objects.create(  # type: ignore[misc]  # MoneyField takes Money
            provider=provider,
            number=last + 1,
            operational_day=day,
            issued_at=issued_at,
            issued_by=issued_by,
            count=len(rows),
            total=Money(total),
            points=[
                {"point": code, "count": n, "total": str(Money(k))}
                for code, (n, k) in sorted(per_point.items())
            ],
            checksum="",
        )
        line_objs = [
            RegisterLine(
                register=register,
                line=i,
                payment_line_id=row["pk"],
                payment_id=row["payment_id"],
                receipt=row["payment__receipt"],
                paid_at=row["payment__accepted_at"],
                point_code=row["point__code"],
                account=row["account__number"],
                service=row["account__service__code"],
                payer=row["account__payer"][:200],
                address=_address(row["account__street"], row["account__house"], row["account__apartment"])[
                    :200
                ],
                amount=row["amount"],
            )
            for i, row in enumerate(rows, start=1)
        ]
        RegisterLine.objects.bulk_create(line_objs, batch_size=2000)
        checksum = canonical_checksum(
            register_canonical(register=register, lines=[register_line_dict(rl) for rl in line_objs])
        )
        document = inbox_deliver(
            kind="register",
            sender_code=HUB_CODE,
            recipient_code=provider.code,
            title=f"Payment register {register.number} of {day.isoformat()}",
            object_type="register",
            object_id=str(register.pk),
            checksum=checksum,
        )
        Register.objects.filter(pk=register.pk).update(checksum=checksum, document=document)
        register.checksum = checksum
        register.document = document
        out.append(register)
    return out


def _check_day(day: dt.date) -> None:
    if day > timezone.localdate() + dt.timedelta(days=1):
        raise PaymentError(f"{day} is in the future: it cannot be closed yet")


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


def days_close(*, day: dt.date, user: Any = None) -> DayCloseResult:
    """Close `day` at every active payment point that has not closed it, and issue the registers.

    Points that took no payment get a closed day too, so a payment taken later goes to the next day.
    """
    _check_day(day)
    result = DayCloseResult(day=day)
    with transaction.atomic():
        for point in Organisation.objects.filter(kind=OrgKind.PAYMENT_POINT, is_active=True).order_by("pk"):
            _row, closed_now = operational_day_close(point=point, user=user, day=day)
            if closed_now:
                result.closed_points.append(point.code)
        result.registers = registers_issue(day=day, user=user)
    return result


def register_acknowledge(*, register: Register, user: Any) -> Register:
    """The provider acknowledges a register (once; again changes nothing)."""
    if register.document is not None:
        inbox_acknowledge(document=register.document, user=user)
    return register
