"""The desk's small city (tests/search/seed.py) made billable: ЄДРПОУ, IBANs, Ukrainian service names,
and the period figures of every account.

    ZHEK-01 dwelling 0001 (вул. Свободи, 12, кв. 1): VODO water W-0001 450.00, TEPLO heat H-0001
    1200.50, KVART rent R-0001 300.00; dwelling 0007 (просп. Миру, 3, кв. 1): VODO water 1000123 99.00.
"""

from __future__ import annotations

import pytest

from merezha.core.money import Money


def ua_iban(mfo: str, account: str) -> str:
    bban = mfo + account.rjust(19, "0")
    number = int("".join(str(int(ch, 36)) for ch in bban + "UA00"))
    return f"UA{98 - number % 97:02d}{bban}"


EDRPOU = {"VODO": "03356128", "TEPLO": "03356134", "KVART": "34567890"}
IBANS = {
    ("VODO", "water"): ua_iban("322313", "26007233566001"),
    ("TEPLO", "heat"): ua_iban("305299", "26003011111111"),
}
KVART_ORG_IBAN = ua_iban("380805", "26000000000777")
NAMES = {"water": "Водопостачання", "heat": "Централізоване опалення", "rent": "Утримання будинку"}


def bill_city(*, today=None):
    from merezha.organisations.models import ProviderService, Service
    from merezha.providers.models import AccountPeriod
    from tests.search.seed import city_seed

    city = city_seed(today=today)
    for code, edrpou in EDRPOU.items():
        org = city.providers[code]
        org.edrpou = edrpou
        if code == "KVART":
            org.iban = KVART_ORG_IBAN  # no service IBAN: the organisation's is used
        org.save()
    for code, name in NAMES.items():
        Service.objects.filter(code=code).update(name=name)
    for (provider, service), iban in IBANS.items():
        ProviderService.objects.update_or_create(
            provider=city.providers[provider],
            service=Service.objects.get(code=service),
            defaults={"iban": iban},
        )
    for acc in city.accounts.values():
        closing = Money(int(acc.closing)) if not isinstance(acc.closing, Money) else acc.closing
        AccountPeriod.objects.create(
            snapshot=acc.snapshot,
            account=acc,
            period=acc.snapshot.period,
            opening=closing - Money(10000),
            charged=Money(15000),
            recalc=Money(-1000),
            benefit=Money(2000),
            subsidy=Money(0),
            paid=Money(2000),
            closing=closing,
        )
    return city


@pytest.fixture
def city(db):
    return bill_city()
