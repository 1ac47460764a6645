"""Reads of the money loop: the current debt (exchange-v1 §2), payments, shift summaries.

The current debt of an account is its snapshot's `closing` minus every network payment line to
that account, not cancelled, on an operational day after the snapshot's `payments_through`.
This module is the one place that rule lives; every screen, report and file uses it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from merezha.core.money import Money
from merezha.payments.models import Cancellation, OperationalDay, Payment, PaymentLine
from merezha.providers.models import Account


@dataclass(frozen=True)
class AccountDebt:
    account_id: int
    provider_code: str
    provider_name: str
    service_code: str
    #: the service as people call it (Водопостачання), for pages and receipts
    service_name: str
    number: str
    payer: str
    closing: Money
    paid_since: Money
    debt: Money
    as_of: dt.date  # the snapshot's payments_through
    period: dt.date
    stale: bool


def _money(value: Any) -> Money:
    if value is None:
        return Money(0)
    if isinstance(value, Money):
        return value
    return Money(int(value))


def _paid_since_filter() -> Q:
    """Lines of the account after its snapshot's payments_through, of payments not cancelled."""
    return Q(payment_lines__operational_day__gt=F("snapshot__payments_through")) & Q(
        payment_lines__payment__cancellation__isnull=True
    )


def _with_paid_since(qs: QuerySet[Account]) -> QuerySet[Account]:
    return qs.annotate(paid_since_k=Sum("payment_lines__amount", filter=_paid_since_filter()))


def local_today() -> dt.date:
    return timezone.localdate()


def dwelling_accounts_with_debt(
    *, dwelling_id: int, stale_after_days: int | None = None
) -> list[AccountDebt]:
    """Every active account of the dwelling at every provider, with its current debt; one query."""
    limit = settings.STALE_DATA_DAYS if stale_after_days is None else stale_after_days
    today = local_today()
    rows = (
        _with_paid_since(Account.objects.filter(dwelling_id=dwelling_id, is_active=True))
        .select_related("provider", "service", "snapshot")
        .order_by("provider__code", "service__code", "number", "pk")
    )
    out = []
    for acc in rows:
        paid = _money(acc.paid_since_k)  # type: ignore[attr-defined]
        closing = _money(acc.closing)
        as_of, period = acc.snapshot.payments_through, acc.snapshot.period
        if as_of is None or period is None:  # an account only ever points at an applied snapshot
            continue
        out.append(
            AccountDebt(
                account_id=acc.pk,
                provider_code=acc.provider.code,
                provider_name=acc.provider.name,
                service_code=acc.service.code,
                service_name=acc.service.name or acc.service.code,
                number=acc.number,
                payer=acc.payer,
                closing=closing,
                paid_since=paid,
                debt=closing - paid,
                as_of=as_of,
                period=period,
                stale=(today - as_of).days > limit,
            )
        )
    return out


def dwelling_accounts_read(*, dwelling_id: int, user: Any, channel: str = "api") -> list[AccountDebt]:
    """A person's look-up of a dwelling's accounts and debts (the card through the API): the same
    rows as `dwelling_accounts_with_debt`, written to the audit log (`dwelling.accounts`)."""
    from merezha.core.services import audit_record

    debts = dwelling_accounts_with_debt(dwelling_id=dwelling_id)
    audit_record(
        user=user,
        action="dwelling.accounts",
        object_type="dwelling",
        object_id=str(dwelling_id),
        detail={"accounts": len(debts)},
        channel=channel,
        dwelling_ids=[dwelling_id],
    )
    return debts


def account_debts(*, account_ids: list[int]) -> dict[int, Money]:
    """Current debt of each of the accounts (one aggregate query); unknown ids are left out."""
    if not account_ids:
        return {}
    rows = _with_paid_since(Account.objects.filter(pk__in=account_ids)).values_list(  # type: ignore[misc]
        "pk", "closing", "paid_since_k"
    )
    return {pk: _money(closing) - _money(paid) for pk, closing, paid in rows}


# --- payments -------------------------------------------------------------------------


def payment_id_parse(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def payment_get(*, payment_id: uuid.UUID | str, point_id: int) -> Payment | None:
    """The payment when it was taken at this point; None otherwise (callers answer 404)."""
    pid = payment_id_parse(payment_id)
    if pid is None:
        return None
    return (
        Payment.objects.select_related("point", "cashier", "cancellation")
        .prefetch_related(
            "lines__account__service", "lines__account__dwelling__building__street", "lines__provider"
        )
        .filter(pk=pid, point_id=point_id)
        .first()
    )


def payment_list(*, point_id: int, day: dt.date) -> list[Payment]:
    """The point's payments of one operational day, in order of acceptance."""
    return list(
        Payment.objects.filter(point_id=point_id, operational_day=day)
        .select_related("cashier", "cancellation")
        .prefetch_related("lines__account__service", "lines__provider")
        .order_by("accepted_at", "number")
    )


def account_payments_list(*, point_id: int, day: dt.date, account_ids: list[int]) -> list[Payment]:
    """The point's payments of one operational day for any of these accounts (a dwelling's), not
    cancelled, the latest first: what the card shows as paid here already."""
    if not account_ids:
        return []
    return list(
        Payment.objects.filter(
            point_id=point_id,
            operational_day=day,
            lines__account_id__in=account_ids,
            cancellation__isnull=True,
        )
        .distinct()
        .order_by("-accepted_at", "-number")
    )


@dataclass(frozen=True)
class ProviderTotal:
    provider_code: str
    provider_name: str
    count: int  # payment lines
    total: Money


@dataclass(frozen=True)
class ShiftSummary:
    point_id: int
    day: dt.date
    cashier_id: int | None
    status: str  # open / closed / none (no payment yet)
    payments: int  # accepted, not cancelled
    total: Money  # accepted, not cancelled
    cancelled: int
    cancelled_total: Money
    by_provider: list[ProviderTotal] = field(default_factory=list)
    cash_total: Money = Money(0)  # accepted, not cancelled, paid in cash
    card_total: Money = Money(0)  # accepted, not cancelled, paid by card


def shift_summary(*, point_id: int, day: dt.date, cashier_id: int | None = None) -> ShiftSummary:
    """Count and total of the day's valid payments (by provider, in cash and by card), and the cancellations."""
    payments = Payment.objects.filter(point_id=point_id, operational_day=day)
    if cashier_id is not None:
        payments = payments.filter(cashier_id=cashier_id)
    cancelled_q = Exists(Cancellation.objects.filter(payment_id=OuterRef("pk")))
    agg = payments.annotate(is_cancelled=cancelled_q).aggregate(
        n_valid=Count("pk", filter=Q(is_cancelled=False)),
        t_valid=Sum("total", filter=Q(is_cancelled=False)),
        n_cancelled=Count("pk", filter=Q(is_cancelled=True)),
        t_cancelled=Sum("total", filter=Q(is_cancelled=True)),
        t_cash=Sum("total", filter=Q(is_cancelled=False, method=Payment.Method.CASH)),
        t_card=Sum("total", filter=Q(is_cancelled=False, method=Payment.Method.CARD)),
    )
    lines = PaymentLine.objects.filter(
        point_id=point_id, operational_day=day, payment__cancellation__isnull=True
    )
    if cashier_id is not None:
        lines = lines.filter(payment__cashier_id=cashier_id)
    by_provider = [
        ProviderTotal(
            provider_code=row["provider__code"],
            provider_name=row["provider__name"],
            count=row["n"],
            total=_money(row["t"]),
        )
        for row in lines.values("provider__code", "provider__name")
        .annotate(n=Count("pk"), t=Sum("amount"))
        .order_by("provider__code")
    ]
    status_row = (
        OperationalDay.objects.filter(point_id=point_id, day=day).values_list("status", flat=True).first()
    )
    return ShiftSummary(
        point_id=point_id,
        day=day,
        cashier_id=cashier_id,
        status=status_row or "none",
        payments=agg["n_valid"] or 0,
        total=_money(agg["t_valid"]),
        cancelled=agg["n_cancelled"] or 0,
        cancelled_total=_money(agg["t_cancelled"]),
        by_provider=by_provider,
        cash_total=_money(agg["t_cash"]),
        card_total=_money(agg["t_card"]),
    )


def operational_day_get(*, point_id: int, day: dt.date) -> OperationalDay | None:
    return OperationalDay.objects.filter(point_id=point_id, day=day).first()


def operational_day_for(*, point_id: int, moment: dt.datetime | None = None) -> dt.date:
    """Which operational day a moment belongs to at a point (read-only view of the service's rule).

    The local date in settings.TIME_ZONE, unless that point's day is already closed: then the next
    day (and so on, if that one is closed too).
    """
    day = timezone.localdate(moment or timezone.now())
    closed = set(
        OperationalDay.objects.filter(
            point_id=point_id, day__gte=day, status=OperationalDay.Status.CLOSED
        ).values_list("day", flat=True)
    )
    while day in closed:
        day += dt.timedelta(days=1)
    return day
