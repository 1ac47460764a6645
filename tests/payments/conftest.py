"""Fixtures of the money loop: providers with a snapshot and accounts in one dwelling, points, cashiers."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from merezha.core.money import Money

KYIV = ZoneInfo("Europe/Kyiv")


def at(day: str, hh: int = 10, mm: int = 0) -> dt.datetime:
    """A moment in Kyiv local time."""
    d = dt.date.fromisoformat(day)
    return dt.datetime(d.year, d.month, d.day, hh, mm, tzinfo=KYIV)


@dataclass
class World:
    dwelling: Any
    providers: dict[str, Any] = field(default_factory=dict)
    accounts: dict[str, Any] = field(default_factory=dict)  # by service code
    points: list[Any] = field(default_factory=list)
    cashiers: list[Any] = field(default_factory=list)
    snapshots: dict[str, Any] = field(default_factory=dict)


_seq = itertools.count(1)


def make_dwelling():
    from merezha.organisations.services import organisation_create
    from merezha.registry.models import Building, Dwelling, Street

    n = next(_seq)
    office = organisation_create(code=f"ZHEK-T{n}", name="office", kind="housing_office")
    street = Street.objects.create(type="вул.", name=f"Тестова {n}", key=f"тестова {n}")
    building = Building.objects.create(street=street, number="1", key="1", office=office)
    return Dwelling.objects.create(
        building=building, apartment="5", apartment_key="5", office=office, office_ref=f"D{n}"
    )


def snapshot_make(provider, *, payments_through: dt.date, period: dt.date | None = None):
    from merezha.providers.models import Snapshot

    return Snapshot.objects.create(
        provider=provider,
        period=period or payments_through.replace(day=1),
        payments_through=payments_through,
        status=Snapshot.Status.APPLIED,
    )


def account_make(
    provider, service_code: str, number: str, closing: str, snapshot, dwelling, payer="Петренко І. В."
):
    from merezha.organisations.models import Service
    from merezha.providers.models import Account

    return Account.objects.create(
        provider=provider,
        number=number,
        service=Service.objects.get(code=service_code),
        dwelling=dwelling,
        street="вул. Тестова",
        house="1",
        apartment="5",
        payer=payer,
        closing=Money.parse(closing),
        snapshot=snapshot,
    )


@pytest.fixture
def world(db, make_org, make_user) -> World:
    """Two providers (water+sewer, heat) with accounts in one dwelling; two points with a cashier each."""
    dwelling = make_dwelling()
    w = World(dwelling=dwelling)
    water = make_org("provider", code="water")
    heat = make_org("provider", code="heat")
    w.providers = {"water": water, "heat": heat}
    through = dt.date(2026, 10, 31)
    w.snapshots = {
        "water": snapshot_make(water, payments_through=through),
        "heat": snapshot_make(heat, payments_through=through),
    }
    w.accounts["water"] = account_make(water, "water", "W-100", "250.40", w.snapshots["water"], dwelling)
    w.accounts["sewer"] = account_make(water, "sewer", "W-100", "120.00", w.snapshots["water"], dwelling)
    w.accounts["heat"] = account_make(heat, "heat", "H-7", "1830.15", w.snapshots["heat"], dwelling)
    for code in ("P-01", "P-02"):
        point = make_org("payment_point", code=code)
        w.points.append(point)
        w.cashiers.append(make_user("cashier", organisation=point))
    return w


@pytest.fixture
def pay(world):
    """Take a payment at point i (default 0) through the service."""
    from merezha.payments.services import PaymentLineIn, payment_create

    keys = itertools.count(1)

    def do(
        lines: dict[str, str],
        *,
        point: int = 0,
        when: dt.datetime | None = None,
        method="card",
        tendered=None,
        key=None,
    ):
        return payment_create(
            cashier=world.cashiers[point],
            point=world.points[point],
            lines=[
                PaymentLineIn(account_id=world.accounts[s].pk, amount=Money.parse(a))
                for s, a in lines.items()
            ],
            method=method,
            tendered=None if tendered is None else Money.parse(tendered),
            idempotency_key=key or f"k-{next(keys)}",
            now=when or at("2026-11-02"),
        ).payment

    return do


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Users are made in most tests here: a cheap hasher keeps the suite fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
