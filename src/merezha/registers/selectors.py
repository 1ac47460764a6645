"""Reads of the registers app: a provider's registers, and the information centre's reconciliation."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Sum

from merezha.core.money import Money
from merezha.payments.models import OperationalDay, PaymentLine
from merezha.registers.models import Register, RegisterLine

#: register numbers are PositiveIntegerField (up to 2**31 - 1 on every database)
_MAX_NUMBER = 2**31 - 1


def register_list(
    *, provider_id: int, since_number: int | None = None, since_date: dt.date | None = None
) -> list[Register]:
    """The provider's registers with a number above `since_number` and a day on or after `since_date`."""
    qs = Register.objects.filter(provider_id=provider_id).select_related("provider", "document")
    if since_number is not None and since_number >= _MAX_NUMBER:
        return []
    if since_number is not None:
        qs = qs.filter(number__gt=since_number)
    if since_date is not None:
        qs = qs.filter(operational_day__gte=since_date)
    return list(qs.order_by("number"))


def register_get(*, provider_id: int, number: int) -> Register | None:
    """One of the provider's own registers; None for another provider's (callers answer 404)."""
    if not 0 < number <= _MAX_NUMBER:
        return None
    return (
        Register.objects.filter(provider_id=provider_id, number=number)
        .select_related("provider", "document")
        .first()
    )


def registers_of_day(*, provider_code: str, day: dt.date) -> list[Register]:
    return list(
        Register.objects.filter(provider__code=provider_code, operational_day=day)
        .select_related("provider", "document")
        .order_by("number")
    )


def _m(value: Any) -> Money:
    if value is None:
        return Money(0)
    return value if isinstance(value, Money) else Money(int(value))


@dataclass
class ReconRow:
    """accepted − cancelled = registered, for one point, day and provider (or all providers)."""

    point: str
    day: dt.date
    provider: str  # "" for the point-day total
    status: str  # open / closed / none
    accepted: Money = Money(0)
    cancelled: Money = Money(0)
    registered: Money = Money(0)
    accepted_count: int = 0
    cancelled_count: int = 0
    registered_count: int = 0

    @property
    def expected(self) -> Money:
        return self.accepted - self.cancelled

    @property
    def ok(self) -> bool:
        """On a closed day everything valid is registered; on an open day nothing is yet."""
        if self.status == OperationalDay.Status.CLOSED:
            return (
                self.registered == self.expected
                and self.registered_count == self.accepted_count - self.cancelled_count
            )
        return self.registered_count == 0


@dataclass
class Reconciliation:
    day_from: dt.date
    day_to: dt.date
    rows: list[ReconRow] = field(default_factory=list)  # per point, day and provider
    totals: list[ReconRow] = field(default_factory=list)  # per point and day

    @property
    def mismatches(self) -> list[ReconRow]:
        return [r for r in self.rows + self.totals if not r.ok]


def reconciliation(*, day_from: dt.date, day_to: dt.date) -> Reconciliation:
    """Per point, day and provider: accepted, cancelled and registered amounts (three aggregate queries)."""
    lines = PaymentLine.objects.filter(operational_day__gte=day_from, operational_day__lte=day_to)
    keys = ("point__code", "operational_day", "provider__code")
    acc = {
        tuple(r[k] for k in keys): r
        for r in lines.values(*keys).annotate(n=Count("pk"), t=Sum("amount")).order_by()
    }
    canc = {
        tuple(r[k] for k in keys): r
        for r in lines.filter(payment__cancellation__isnull=False)
        .values(*keys)
        .annotate(n=Count("pk"), t=Sum("amount"))
        .order_by()
    }
    rkeys = ("payment_line__point__code", "payment_line__operational_day", "payment_line__provider__code")
    reg = {
        tuple(r[k] for k in rkeys): r
        for r in RegisterLine.objects.filter(
            payment_line__operational_day__gte=day_from, payment_line__operational_day__lte=day_to
        )
        .values(*rkeys)
        .annotate(n=Count("pk"), t=Sum("amount"))
        .order_by()
    }
    status = {
        (code, day): st
        for code, day, st in OperationalDay.objects.filter(day__gte=day_from, day__lte=day_to).values_list(
            "point__code", "day", "status"
        )
    }
    out = Reconciliation(day_from=day_from, day_to=day_to)
    totals: dict[tuple[str, dt.date], ReconRow] = {}
    for key in sorted(set(acc) | set(reg), key=lambda k: (k[1], k[0], k[2])):
        point, day, provider = key
        st = status.get((point, day), "none")
        row = ReconRow(point=point, day=day, provider=provider, status=st)
        a, c, r = acc.get(key), canc.get(key), reg.get(key)
        if a:
            row.accepted, row.accepted_count = _m(a["t"]), a["n"]
        if c:
            row.cancelled, row.cancelled_count = _m(c["t"]), c["n"]
        if r:
            row.registered, row.registered_count = _m(r["t"]), r["n"]
        out.rows.append(row)
        tot = totals.setdefault((point, day), ReconRow(point=point, day=day, provider="", status=st))
        tot.accepted += row.accepted
        tot.cancelled += row.cancelled
        tot.registered += row.registered
        tot.accepted_count += row.accepted_count
        tot.cancelled_count += row.cancelled_count
        tot.registered_count += row.registered_count
    out.totals = [totals[k] for k in sorted(totals, key=lambda k: (k[1], k[0]))]
    return out


def registers_by_provider_day(*, day: dt.date) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    for code, number in Register.objects.filter(operational_day=day).values_list("provider__code", "number"):
        found[code].append(number)
    return dict(found)
