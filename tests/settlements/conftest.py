"""A demo-like city for settlement: three providers' services with their receiving IBANs, two
operators (a bank whose points settle each on its own, a post office settling by agent, net of a
commission), four points, a day of payments at every point, closed."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from schwifty import IBAN

from merezha.core.money import Money
from tests.payments.conftest import _fast_passwords, account_make, at, make_dwelling, snapshot_make  # noqa: F401

DAY = dt.date(2026, 11, 2)
_n = itertools.count(1)


def iban(n: int) -> str:
    return str(IBAN.generate("UA", bank_code="322001", account_code=f"{26000000000000 + n:019d}").compact)


@dataclass
class City:
    providers: dict[str, Any] = field(default_factory=dict)
    points: dict[str, Any] = field(default_factory=dict)
    operators: dict[str, Any] = field(default_factory=dict)
    cashiers: dict[str, Any] = field(default_factory=dict)
    accounts: dict[str, Any] = field(default_factory=dict)
    ibans: dict[str, str] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)


#: what each point takes on DAY, per service (one payment per row)
TAKINGS = {
    "P001": {"water": "100.00", "sewer": "50.00", "heat": "1000.00"},
    "P002": {"water": "200.10", "sewer": "20.20", "heat": "333.33"},
    "P003": {"water": "10.01", "sewer": "7.77", "heat": "1234.56"},
    "P004": {"water": "99.99", "sewer": "1.01", "heat": "640.00"},
}


@pytest.fixture
def city(db, make_org, make_user) -> City:
    from merezha.organisations.models import ProviderService, Service
    from merezha.settlements.services import settlement_terms_set

    c = City()
    for code in ("water", "sewer", "heat"):  # gone after a transactional (browser) test emptied the database
        Service.objects.get_or_create(code=code, defaults={"name": code})
    dwelling = make_dwelling()
    water = make_org("provider", code="VODA", edrpou="12345678")
    heat = make_org("provider", code="TEPLO", edrpou="23456789")
    c.providers = {"VODA": water, "TEPLO": heat}
    c.ibans = {"VODA:water": iban(1), "VODA:sewer": iban(2), "TEPLO:heat": iban(3)}
    for key, value in c.ibans.items():
        code, service = key.split(":")
        ProviderService.objects.create(
            provider=c.providers[code], service=Service.objects.get(code=service), iban=value
        )
    through = DAY - dt.timedelta(days=2)
    snaps = {k: snapshot_make(p, payments_through=through) for k, p in c.providers.items()}
    c.accounts["water"] = account_make(water, "water", "W-1", "900.00", snaps["VODA"], dwelling)
    c.accounts["sewer"] = account_make(water, "sewer", "W-1", "900.00", snaps["VODA"], dwelling)
    c.accounts["heat"] = account_make(heat, "heat", "H-1", "9000.00", snaps["TEPLO"], dwelling)
    bank = make_org("payment_operator", code="BANK")
    post = make_org("payment_operator", code="POST")
    bank.iban, post.iban = iban(10), iban(20)
    bank.save(update_fields=["iban"])
    post.save(update_fields=["iban"])
    c.operators = {"BANK": bank, "POST": post}
    settlement_terms_set(organisation=post, mode="net", commission_bp=150, by_agent=True)
    for k, code in enumerate(TAKINGS, start=1):
        point = make_org("payment_point", code=code, parent=bank if k <= 2 else post)
        if k <= 2:
            point.iban = iban(10 + k)
            point.save(update_fields=["iban"])
        c.points[code] = point
        c.cashiers[code] = make_user("cashier", organisation=point)
    c.users = {
        "admin": make_user("admin"),
        "VODA": make_user("provider", organisation=water),
        "TEPLO": make_user("provider", organisation=heat),
    }
    return c


def take(city: City, code: str, service: str, amount: str, *, day: dt.date = DAY) -> Any:
    """One cash payment of `amount` for `service` at point `code` on `day`."""
    from merezha.payments.services import PaymentLineIn, payment_create

    return payment_create(
        cashier=city.cashiers[code],
        point=city.points[code],
        lines=[PaymentLineIn(account_id=city.accounts[service].pk, amount=Money.parse(amount))],
        method="cash",
        tendered=None,
        idempotency_key=f"s-{next(_n)}",
        now=at(day.isoformat(), 11),
    )


@pytest.fixture
def closed_day(city):
    """Every point's payments of DAY taken, and DAY closed network-wide (registers and orders issued)."""
    from merezha.registers.services import days_close

    for code, lines in TAKINGS.items():
        for service, amount in lines.items():
            take(city, code, service, amount)
    return days_close(day=DAY)
