"""Services behind `merezha simulate`: realistic payments through the same `payment_create` the desk uses.

Deterministic for a seed on the same database: the same accounts, points, amounts, moments and
idempotency keys (`sim-<date>-<seed>-<N>-<i>`, per point). Running the same command again on the
same database takes no second payment: a key already used is reported as "already taken".
A payment whose moment falls on a day already closed at its point goes to the next operational
day (the desk's rule); the summary counts those as "on a later day".

When the city has no payment point with a cashier, a default set is registered first: an
operator `NETWORK-OP` and ten points `PP-01` … `PP-10` (the demo size of the network), each
with one cashier `cashier-pp-01` … (no usable password: the information centre sets one).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from merezha.core.money import Money
from merezha.core.roles import OrgKind, Role
from merezha.core.services import IdempotencyConflict
from merezha.organisations.models import Organisation, User
from merezha.payments.selectors import account_debts
from merezha.payments.services import PaymentError, PaymentLineIn, payment_create
from merezha.providers.models import Account

DEFAULT_OPERATOR = "NETWORK-OP"
DEFAULT_POINTS = [f"PP-{i:02d}" for i in range(1, 11)]


class SimulationError(ValueError):
    pass


@dataclass
class SimulationResult:
    day: dt.date
    created: int = 0
    already_taken: int = 0
    refused: int = 0
    total: Money = Money(0)
    lines: int = 0
    later_day: int = 0
    points: int = 0
    elapsed: float = 0.0
    notes: list[str] = field(default_factory=list)


def simulation_points_ensure() -> tuple[list[tuple[Organisation, list[User]]], list[str]]:
    """The active payment points with their active cashiers; registers the default set when there is none."""
    notes: list[str] = []
    found = _points_with_cashiers()
    if found:
        return found, notes
    with transaction.atomic():
        operator, _ = Organisation.objects.get_or_create(
            code=DEFAULT_OPERATOR,
            defaults={"name": "Network payment operator", "kind": OrgKind.PAYMENT_OPERATOR},
        )
        for code in DEFAULT_POINTS:
            point, _ = Organisation.objects.get_or_create(
                code=code,
                defaults={"name": f"Payment point {code}", "kind": OrgKind.PAYMENT_POINT, "parent": operator},
            )
            username = f"cashier-{code.lower()}"
            if not User.objects.filter(username=username).exists():
                user = User(username=username, organisation=point, role=Role.CASHIER)
                user.set_unusable_password()
                user.save()
    notes.append(
        f"note: no payment point with a cashier: registered the default set {DEFAULT_POINTS[0]}…{DEFAULT_POINTS[-1]} "
        f"(operator {DEFAULT_OPERATOR}) with one cashier each"
    )
    return _points_with_cashiers(), notes


def _points_with_cashiers() -> list[tuple[Organisation, list[User]]]:
    cashiers: dict[int, list[User]] = defaultdict(list)
    for user in User.objects.filter(
        role=Role.CASHIER,
        is_active=True,
        organisation__kind=OrgKind.PAYMENT_POINT,
        organisation__is_active=True,
    ).order_by("pk"):
        cashiers[user.organisation_id].append(user)  # type: ignore[index]
    points = Organisation.objects.filter(pk__in=list(cashiers)).order_by("code")
    return [(p, cashiers[p.pk]) for p in points]


def _amount(rng: random.Random, debt: Money) -> Money:
    """Full debt mostly, sometimes a part of it, sometimes an advance."""
    roll = rng.random()
    if debt.kopecks >= 200 and roll < 0.7:
        return debt
    if debt.kopecks >= 200 and roll < 0.9:
        part = debt.kopecks * rng.randint(20, 80) // 100
        return Money(max(100, part - part % 100))
    return Money(rng.randint(5, 50) * 1000)  # an advance of 50…500 UAH


def payments_simulate(*, day: dt.date, count: int, seed: int = 1) -> SimulationResult:
    """Take `count` payments on `day` (local moments 08:00–19:59) spread over the points and cashiers."""
    if count < 1:
        raise SimulationError("--payments must be at least 1")
    started = time.perf_counter()
    result = SimulationResult(day=day)
    # accounts grouped by dwelling, so one payment covers several services of one household
    rows = list(Account.objects.filter(is_active=True).order_by("pk").values_list("pk", "dwelling_id"))
    if not rows:
        raise SimulationError(
            "no provider accounts to pay: import a provider snapshot first (merezha import-snapshot …)"
        )
    points, notes = simulation_points_ensure()
    result.notes.extend(notes)
    if not points:
        raise SimulationError("no payment point with an active cashier")
    result.points = len(points)
    households: dict[object, list[int]] = defaultdict(list)
    for pk, dwelling_id in rows:
        households[dwelling_id if dwelling_id is not None else f"a{pk}"].append(pk)
    keys = list(households)
    rng = random.Random(seed)
    tz = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime(day.year, day.month, day.day, 8, 0, tzinfo=tz)
    offsets = sorted(rng.randrange(0, 12 * 3600) for _ in range(count))
    for i, offset in enumerate(offsets, start=1):
        household = households[keys[rng.randrange(len(keys))]]
        chosen = sorted(rng.sample(household, k=min(len(household), rng.choice((1, 1, 2, 3)))))
        debts = account_debts(account_ids=chosen)
        lines = [PaymentLineIn(account_id=pk, amount=_amount(rng, debts.get(pk, Money(0)))) for pk in chosen]
        total = Money.total(line.amount for line in lines)
        point, cashiers = points[rng.randrange(len(points))]
        cashier = cashiers[rng.randrange(len(cashiers))]
        if rng.random() < 0.6:
            method, tendered = "cash", Money(-(-total.kopecks // 10000) * 10000)  # rounded up to 100 UAH
        else:
            method, tendered = "card", None
        try:
            res = payment_create(
                cashier=cashier,
                point=point,
                lines=lines,
                method=method,
                tendered=tendered,
                idempotency_key=f"sim-{day.isoformat()}-{seed}-{count}-{i}",
                now=start + dt.timedelta(seconds=offset),
            )
        except IdempotencyConflict:
            result.already_taken += 1
            continue
        except PaymentError:
            result.refused += 1
            continue
        if not res.created:
            result.already_taken += 1
            continue
        result.created += 1
        if res.payment.operational_day != day:
            result.later_day += 1
        result.lines += len(lines)
        result.total += res.payment.total
    result.elapsed = time.perf_counter() - started
    return result
