"""End to end, two full cycles: snapshot → payments at several points over several days → close →
registers → acknowledgement → the provider's next snapshot takes over; the debt is right throughout."""

from __future__ import annotations

import datetime as dt

import pytest

from merezha.core.money import Money
from merezha.payments.selectors import account_debts, dwelling_accounts_with_debt
from merezha.payments.services import payment_cancel
from merezha.registers.models import Register
from merezha.registers.selectors import reconciliation
from merezha.registers.services import days_close, point_day_close, register_acknowledge
from tests.payments.conftest import at, snapshot_make

pytestmark = pytest.mark.django_db


def debts(world):
    return {
        d.service_code: (str(d.closing), str(d.paid_since), str(d.debt), d.as_of.isoformat())
        for d in dwelling_accounts_with_debt(dwelling_id=world.dwelling.pk)
    }


def new_snapshot(world, provider_code: str, through: str, closings: dict[str, str]):
    """The provider's next snapshot: it has applied the registers of days up to `through`."""
    snap = snapshot_make(world.providers[provider_code], payments_through=dt.date.fromisoformat(through))
    for service, closing in closings.items():
        acc = world.accounts[service]
        acc.snapshot = snap
        acc.closing = Money.parse(closing)
        acc.save()


def registers(provider_code):
    return [
        (r.number, r.operational_day.isoformat(), r.count, str(r.total))
        for r in Register.objects.filter(provider__code=provider_code).order_by("number")
    ]


def test_two_full_cycles(world, pay):
    # opening state: snapshot through 2026-10-31: water 250.40, sewer 120.00, heat 1830.15
    assert debts(world)["water"] == ("250.40", "0.00", "250.40", "2026-10-31")

    # --- cycle 1: days 11-02 and 11-03 at two points ----------------------------------
    pay({"water": "100.00", "heat": "500.00"}, when=at("2026-11-02", 9))
    pay({"sewer": "120.00"}, point=1, when=at("2026-11-02", 10))
    wrong = pay({"heat": "50.00"}, point=1, when=at("2026-11-02", 11))
    payment_cancel(
        payment_id=wrong.pk, cashier=world.cashiers[1], reason="wrong account", now=at("2026-11-02", 11, 1)
    )
    point_day_close(point=world.points[0], user=world.cashiers[0], day=dt.date(2026, 11, 2))
    pay({"water": "50.40"}, when=at("2026-11-02", 18))  # after P-01's close: belongs to 11-03
    days_close(day=dt.date(2026, 11, 2))  # closes P-02
    pay({"heat": "330.15"}, point=1, when=at("2026-11-03", 9))
    days_close(day=dt.date(2026, 11, 3))

    assert debts(world) == {
        "water": ("250.40", "150.40", "100.00", "2026-10-31"),
        "sewer": ("120.00", "120.00", "0.00", "2026-10-31"),
        "heat": ("1830.15", "830.15", "1000.00", "2026-10-31"),
    }
    assert registers("water") == [
        (1, "2026-11-02", 1, "100.00"),
        (2, "2026-11-02", 1, "120.00"),
        (3, "2026-11-03", 1, "50.40"),
    ]
    assert registers("heat") == [(1, "2026-11-02", 1, "500.00"), (2, "2026-11-03", 1, "330.15")]

    # the providers acknowledge and load registers of 11-02 only; their next snapshots say so
    for reg in Register.objects.filter(operational_day=dt.date(2026, 11, 2)):
        register_acknowledge(register=reg, user=None)
    assert sorted(Register.objects.values_list("provider__code", "number", "document__status")) == [
        ("heat", 1, "acknowledged"),
        ("heat", 2, "delivered"),
        ("water", 1, "acknowledged"),
        ("water", 2, "acknowledged"),
        ("water", 3, "delivered"),
    ]
    new_snapshot(world, "water", "2026-11-02", {"water": "150.40", "sewer": "0.00"})
    new_snapshot(world, "heat", "2026-11-02", {"heat": "1330.15"})
    # 11-02 payments are in the balances now and no longer subtracted; 11-03's still are
    assert debts(world) == {
        "water": ("150.40", "50.40", "100.00", "2026-11-02"),
        "sewer": ("0.00", "0.00", "0.00", "2026-11-02"),
        "heat": ("1330.15", "330.15", "1000.00", "2026-11-02"),
    }

    # --- cycle 2: a new month's charges, days 11-04 and 11-05 ---------------------------
    new_snapshot(world, "water", "2026-11-03", {"water": "300.00", "sewer": "80.00"})  # + November charges
    assert debts(world)["water"] == ("300.00", "0.00", "300.00", "2026-11-03")
    pay({"water": "300.00", "sewer": "100.00"}, when=at("2026-11-04", 9))  # sewer: an advance
    pay({"heat": "400.00"}, point=1, when=at("2026-11-05", 9))
    days_close(day=dt.date(2026, 11, 4))
    days_close(day=dt.date(2026, 11, 5))
    assert debts(world) == {
        "water": ("300.00", "300.00", "0.00", "2026-11-03"),
        "sewer": ("80.00", "100.00", "-20.00", "2026-11-03"),
        "heat": ("1330.15", "730.15", "600.00", "2026-11-02"),
    }
    assert registers("water")[3:] == [(4, "2026-11-04", 2, "400.00")]
    assert registers("heat")[2:] == [(3, "2026-11-05", 1, "400.00")]
    new_snapshot(world, "water", "2026-11-05", {"water": "0.00", "sewer": "-20.00"})
    new_snapshot(world, "heat", "2026-11-05", {"heat": "600.00"})
    assert debts(world) == {
        "water": ("0.00", "0.00", "0.00", "2026-11-05"),
        "sewer": ("-20.00", "0.00", "-20.00", "2026-11-05"),
        "heat": ("600.00", "0.00", "600.00", "2026-11-05"),
    }
    assert account_debts(account_ids=[a.pk for a in world.accounts.values()]) == {
        world.accounts["water"].pk: Money(0),
        world.accounts["sewer"].pk: Money(-2000),
        world.accounts["heat"].pk: Money(60000),
    }
    rec = reconciliation(day_from=dt.date(2026, 11, 1), day_to=dt.date(2026, 11, 30))
    assert rec.mismatches == []
    assert [
        (t.point, t.day.isoformat(), str(t.accepted), str(t.cancelled), str(t.registered)) for t in rec.totals
    ] == [
        ("P-01", "2026-11-02", "600.00", "0.00", "600.00"),
        ("P-02", "2026-11-02", "170.00", "50.00", "120.00"),
        ("P-01", "2026-11-03", "50.40", "0.00", "50.40"),
        ("P-02", "2026-11-03", "330.15", "0.00", "330.15"),
        ("P-01", "2026-11-04", "400.00", "0.00", "400.00"),
        ("P-02", "2026-11-05", "400.00", "0.00", "400.00"),
    ]
