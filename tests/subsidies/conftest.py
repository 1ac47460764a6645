"""Fixtures of the subsidy office: a city of two dwellings, four providers, accounts with history."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest

from merezha.core.money import Money

PERIOD = dt.date(2026, 10, 1)
THROUGH = dt.date(2026, 10, 31)
TAX_ID = "1234567899"  # a valid РНОКПП (check digit)
TAX_ID_2 = "2345678902"
#: the application day the service tests check on
ON = dt.date(2026, 11, 15)
#: a heat account four months behind: 680 of July and 300 a month since, unpaid
FOUR = {"2026-10": "300", "2026-09": "300", "2026-08": "300", "2026-07": "680"}


def csv_upload(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8"))


def period(text: str) -> dt.date:
    return dt.date.fromisoformat(text + "-01")


@dataclass
class City:
    office: Any
    subsidy: Any  # a subsidy officer
    dwelling: Any  # вул. Шевченка, 10, кв. 5
    other: Any  # вул. Шевченка, 10, кв. 6
    providers: dict[str, Any] = field(default_factory=dict)
    snapshots: dict[str, Any] = field(default_factory=dict)
    seq: Any = field(default_factory=lambda: itertools.count(1))

    def account(
        self,
        provider: str,
        service: str,
        closing: str,
        history: dict[str, str | tuple[str, ...] | None] | None = None,
        *,
        dwelling: Any = None,
        number: str | None = None,
        tax_id: str = "",
    ) -> Any:
        """An account with its closing balance and period history.

        history: {"2026-10": "300.00"} (charged) or ("charged", "recalc", "benefit", "subsidy"), or None
        (a period with no charge figures).
        """
        from merezha.organisations.models import Service
        from merezha.providers.models import Account, AccountPeriod

        account = Account.objects.create(
            provider=self.providers[provider],
            number=number or f"{provider}-{next(self.seq)}",
            service=Service.objects.get(code=service),
            dwelling=dwelling or self.dwelling,
            match_status=Account.Match.MATCHED,
            street="вул. Шевченка",
            house="10",
            apartment="5",
            payer="Петренко Іван",
            tax_id=tax_id,
            closing=Money.parse(closing),
            snapshot=self.snapshots[provider],
        )
        for text, figures in (history or {}).items():
            if figures is None:
                charged = recalc = benefit = subsidy = None
            elif isinstance(figures, str):
                charged, recalc, benefit, subsidy = Money.parse(figures), None, None, None
            else:
                charged, recalc, benefit, subsidy = (Money.parse(f) for f in figures)
            AccountPeriod.objects.create(
                snapshot=self.snapshots[provider],
                account=account,
                period=period(text),
                charged=charged,
                recalc=recalc,
                benefit=benefit,
                subsidy=subsidy,
                closing=Money.parse(closing),
            )
        return account


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def bearer():
    from merezha.organisations.services import api_token_create

    def make(user):
        return {"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"}

    return make


@pytest.fixture
def city(db, make_org, make_user) -> City:
    from merezha.organisations.models import Service
    from merezha.organisations.services import provider_service_add
    from merezha.providers.models import Snapshot
    from merezha.registry.matching import apartment_key, house_key
    from merezha.registry.models import Building, Dwelling, Person, Street

    office = make_org("housing_office", code="ZHEK-01")
    subsidy_office = make_org("subsidy_office", code="USZN")
    street = Street.objects.create(type="вул.", name="Шевченка", key="шевченка")
    building = Building.objects.create(street=street, number="10", key=house_key("10"), office=office)
    dwellings = [
        Dwelling.objects.create(
            building=building, apartment=a, apartment_key=apartment_key(a), office=office, office_ref=f"K{a}"
        )
        for a in ("5", "6")
    ]
    Person.objects.create(
        dwelling=dwellings[0], surname="Петренко", name="Іван", tax_id=TAX_ID, surname_key="петренко"
    )
    c = City(
        office=office,
        subsidy=make_user("subsidy", organisation=subsidy_office, username="officer"),
        dwelling=dwellings[0],
        other=dwellings[1],
    )
    for code, services in (
        ("VODO", ("water", "sewer")),
        ("TEPLO", ("heat", "hot_water")),
        ("ZHEK", ("rent",)),
        ("ECO", ("waste",)),
    ):
        org = make_org("provider", code=code)
        for s in services:
            provider_service_add(provider=org, service=Service.objects.get(code=s))
        c.providers[code] = org
        c.snapshots[code] = Snapshot.objects.create(
            provider=org, period=PERIOD, payments_through=THROUGH, status=Snapshot.Status.APPLIED
        )
    return c
