"""A small fixed city for the housing office's tests.

Offices ZHEK-1 (ours) and ZHEK-2 (another). Providers: RENT-P (rent, in every dwelling but D5),
WATER-P (water, D1 and D4), HEAT-P (heat, only ZHEK-2's D6).

    вул. Свободи, 1 (ZHEK-1)  D1 кв.1 50 m²: Іваненко Петро (head), Олена (spouse, VET), Марія (child)
                              D2 кв.2 60 m²: Петренко Ганна (head, PENS)
                              D3 кв.3 40 m²: nobody
    вул. Миру, 5 (ZHEK-1)     D4 кв.1 70 m²: Коваль Андрій (head), Ірина (spouse, VET)
                              D5 кв.2 45 m²: Шевчук Олег (head)
    вул. Миру, 7 (ZHEK-2)     D6 кв.1: Бондар Іван

Rent (charged a month / closing balance per period 2026-08, 2026-09, 2026-10; the October
snapshot is in force, payments through 2026-10-31):

    R1 (D1) 500.00: 500.00, 1000.00, 1500.00     R2 (D2) 300.00: 0.00, 300.00, 450.00
    R3 (D3) 200.00: —, —, 200.00                 R4 (D4) 700.00: 700.00, 0.00, -100.00
    R6 (D6) 400.00: —, —, 800.00                 D5: no rent account
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from merezha.core.money import Money

TODAY = dt.date(2026, 11, 28)
AUG, SEP, OCT = dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1)


@dataclass
class City:
    office: Any
    other_office: Any
    rent: Any
    water: Any
    heat: Any
    streets: dict[str, Any] = field(default_factory=dict)
    buildings: dict[str, Any] = field(default_factory=dict)
    dwellings: dict[str, Any] = field(default_factory=dict)
    persons: dict[str, Any] = field(default_factory=dict)
    accounts: dict[str, Any] = field(default_factory=dict)
    clerk: Any = None
    other_clerk: Any = None
    rent_user: Any = None
    water_user: Any = None


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Users are created in every test: a fast hasher keeps the suite quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def today(monkeypatch):
    """Freeze the local date (services refuse dates in the future)."""
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    return TODAY


@pytest.fixture
def city(db, make_org, make_user, today) -> City:
    from merezha.organisations.models import Service
    from merezha.providers.models import Account, AccountPeriod, Snapshot
    from merezha.registry.matching import fold
    from merezha.registry.models import BenefitCategory, Building, Dwelling, Person, Street

    c = City(
        office=make_org("housing_office", code="ZHEK-1"),
        other_office=make_org("housing_office", code="ZHEK-2"),
        rent=make_org("provider", code="RENT-P"),
        water=make_org("provider", code="WATER-P"),
        heat=make_org("provider", code="HEAT-P"),
    )
    c.clerk = make_user("housing", organisation=c.office, username="clerk")
    c.other_clerk = make_user("housing", organisation=c.other_office, username="other-clerk")
    c.rent_user = make_user("provider", organisation=c.rent, username="rent-user")
    c.water_user = make_user("provider", organisation=c.water, username="water-user")
    for name in ("Свободи", "Миру"):
        c.streets[name] = Street.objects.create(type="вул.", name=name, key=fold(name))
    for code, street, number, office in (
        ("B1", "Свободи", "1", c.office),
        ("B2", "Миру", "5", c.office),
        ("B3", "Миру", "7", c.other_office),
    ):
        c.buildings[code] = Building.objects.create(
            street=c.streets[street], number=number, key=number, office=office
        )
    for code, building, apt, area in (
        ("D1", "B1", "1", "50.00"),
        ("D2", "B1", "2", "60.00"),
        ("D3", "B1", "3", "40.00"),
        ("D4", "B2", "1", "70.00"),
        ("D5", "B2", "2", "45.00"),
        ("D6", "B3", "1", "55.00"),
    ):
        b = c.buildings[building]
        c.dwellings[code] = Dwelling.objects.create(
            building=b, apartment=apt, apartment_key=apt, office=b.office, office_ref=code, area=area
        )
    vet = BenefitCategory.objects.create(code="VET", name="Ветеран війни")
    pens = BenefitCategory.objects.create(code="PENS", name="Пенсіонер")
    since = dt.date(2020, 1, 1)
    for key, dwelling, surname, name, birth, relation, benefit in (
        ("petro", "D1", "Іваненко", "Петро", "1970-03-01", "head", None),
        ("olena", "D1", "Іваненко", "Олена", "1972-06-15", "spouse", vet),
        ("maria", "D1", "Іваненко", "Марія", "2010-05-05", "child", None),
        ("hanna", "D2", "Петренко", "Ганна", "1950-01-20", "head", pens),
        ("andrii", "D4", "Коваль", "Андрій", "1980-09-09", "head", None),
        ("iryna", "D4", "Коваль", "Ірина", "1982-11-11", "spouse", vet),
        ("oleh", "D5", "Шевчук", "Олег", "1990-02-02", "head", None),
        ("ivan", "D6", "Бондар", "Іван", "1960-07-07", "head", None),
    ):
        c.persons[key] = Person.objects.create(
            dwelling=c.dwellings[dwelling],
            surname=surname,
            name=name,
            birth_date=dt.date.fromisoformat(birth),
            relation=relation,
            benefit=benefit,
            surname_key=fold(surname),
            registered_from=since,
        )

    def snapshot(provider: Any, period: dt.date) -> Any:
        end = (period + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        return Snapshot.objects.create(
            provider=provider, period=period, payments_through=end, status=Snapshot.Status.APPLIED
        )

    rent_snaps = {p: snapshot(c.rent, p) for p in (AUG, SEP, OCT)}
    water_snap = snapshot(c.water, OCT)
    heat_snap = snapshot(c.heat, OCT)
    services = {s.code: s for s in Service.objects.all()}

    def account(provider: Any, service: str, number: str, dwelling: str, closing: str, snap: Any) -> Any:
        d = c.dwellings[dwelling]
        acc = Account.objects.create(
            provider=provider,
            number=number,
            service=services[service],
            dwelling=d,
            match_status=Account.Match.MATCHED,
            street=f"вул. {d.building.street.name}",
            house=d.building.number,
            apartment=d.apartment,
            payer=f"payer of {dwelling}",
            closing=Money.parse(closing),
            snapshot=snap,
        )
        c.accounts[number] = acc
        return acc

    rent_history = {
        "R1": ("D1", "500.00", {AUG: "500.00", SEP: "1000.00", OCT: "1500.00"}),
        "R2": ("D2", "300.00", {AUG: "0.00", SEP: "300.00", OCT: "450.00"}),
        "R3": ("D3", "200.00", {OCT: "200.00"}),
        "R4": ("D4", "700.00", {AUG: "700.00", SEP: "0.00", OCT: "-100.00"}),
        "R6": ("D6", "400.00", {OCT: "800.00"}),
    }
    for number, (dwelling, charge, closings) in rent_history.items():
        acc = account(c.rent, "rent", number, dwelling, closings[OCT], rent_snaps[OCT])
        for period, closing in closings.items():
            AccountPeriod.objects.create(
                snapshot=rent_snaps[period],
                account=acc,
                period=period,
                charged=Money.parse(charge),
                closing=Money.parse(closing),
            )
    account(c.water, "water", "W1", "D1", "120.50", water_snap)
    account(c.water, "water", "W4", "D4", "0.00", water_snap)
    account(c.heat, "heat", "H6", "D6", "999.00", heat_snap)
    return c


@pytest.fixture
def clerk_client(client, city):
    client.force_login(city.clerk)
    return client
