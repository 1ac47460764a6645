"""Reads: the rule in force by date, a household's figures from the database, finding households."""

import datetime as dt

import pytest
from django.utils import translation

from merezha.core.models import AuditEntry
from merezha.core.money import Money
from merezha.subsidies.models import Exemption, SubsidyRuleParameters
from merezha.subsidies.selectors import (
    NoRuleInForce,
    household_status,
    households_figures,
    households_find,
    rule_parameters_in_force,
)

from .conftest import TAX_ID, TAX_ID_2

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 11, 15)


def test_default_parameters_come_from_the_migration():
    p = rule_parameters_in_force(on=ON)
    assert (p.valid_from, p.months, p.threshold, p.threshold_large_family, p.exemptions_enabled) == (
        dt.date(2025, 1, 1),
        3,
        Money.parse("680.00"),
        Money.parse("4000.00"),
        True,
    )


def test_parameters_in_force_on_the_application_date():
    newer = SubsidyRuleParameters.objects.create(
        valid_from=dt.date(2026, 12, 1),
        months=2,
        threshold=Money(100000),
        threshold_large_family=Money(500000),
    )
    assert rule_parameters_in_force(on=dt.date(2026, 11, 30)).valid_from == dt.date(2025, 1, 1)
    assert rule_parameters_in_force(on=dt.date(2026, 12, 1)).id == newer.pk
    with pytest.raises(NoRuleInForce, match="no subsidy rule parameters are in force on 2024-12-31"):
        rule_parameters_in_force(on=dt.date(2024, 12, 31))


def test_figures_use_billed_amounts_and_the_latest_snapshot_per_period(city):
    from merezha.providers.models import AccountPeriod, Snapshot

    heat = city.account(
        "TEPLO",
        "heat",
        "1000.00",
        {
            "2026-10": ("400.00", "-50.00", "20.00", "30.00"),  # billed 300.00
            "2026-09": "300.00",
            "2026-08": "300.00",
            "2026-07": "250.00",
        },
    )
    # a corrected snapshot of September replaces the first one's figures (one history row per account and month)
    again = Snapshot.objects.create(
        provider=city.providers["TEPLO"], period=dt.date(2026, 9, 1), payments_through=dt.date(2026, 9, 30)
    )
    AccountPeriod.objects.filter(account=heat, period=dt.date(2026, 9, 1)).update(
        snapshot=again, charged=Money(20000), closing=Money(0)
    )
    city.account("VODO", "water", "-10.00")
    city.account("ECO", "waste", "50.00", dwelling=city.other)
    figures = households_figures(dwelling_ids=[city.dwelling.pk, city.other.pk], on=ON)
    mine = figures[city.dwelling.pk]
    assert [(f.provider_code, f.service_code, f.debt) for f in mine] == [
        ("TEPLO", "heat", Money.parse("1000.00")),
        ("VODO", "water", Money.parse("-10.00")),
    ]
    assert mine[0].billed == {
        dt.date(2026, 10, 1): Money.parse("300.00"),
        dt.date(2026, 9, 1): Money.parse("200.00"),
        dt.date(2026, 8, 1): Money.parse("300.00"),
        dt.date(2026, 7, 1): Money.parse("250.00"),
    }
    assert mine[1].billed == {}  # no debt: history not read
    assert [f.debt for f in figures[city.other.pk]] == [Money.parse("50.00")]


def test_current_debt_subtracts_network_payments(city, make_org, make_user):
    from merezha.payments.services import PaymentLineIn, payment_create

    heat = city.account("TEPLO", "heat", "1000.00")
    point = make_org("payment_point", code="P-01")
    payment_create(
        cashier=make_user("cashier", organisation=point),
        point=point,
        lines=[PaymentLineIn(account_id=heat.pk, amount=Money.parse("400.00"))],
        method="cash",
        tendered=None,
        idempotency_key="k1",
        now=dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC),
    )
    figures = households_figures(dwelling_ids=[city.dwelling.pk], on=ON)[city.dwelling.pk]
    assert figures[0].debt == Money.parse("600.00")


def test_exemption_read_as_of_the_date(city):
    heat = city.account("TEPLO", "heat", "1000.00")
    Exemption.objects.create(
        account=heat, kind="court", valid_from=dt.date(2026, 11, 16), office=city.subsidy.organisation
    )
    assert households_figures(dwelling_ids=[city.dwelling.pk], on=ON)[city.dwelling.pk][0].exemption is None
    later = households_figures(dwelling_ids=[city.dwelling.pk], on=dt.date(2026, 11, 16))[city.dwelling.pk]
    assert later[0].exemption is not None and later[0].exemption.kind == "court"


def test_household_status_is_audited(city):
    city.account(
        "TEPLO", "heat", "1580.01", {"2026-10": "300", "2026-09": "300", "2026-08": "300", "2026-07": "680"}
    )
    with translation.override("en"):
        status = household_status(dwelling_id=city.dwelling.pk, on=ON, user=city.subsidy)
    assert status is not None
    assert (status.address, status.residents, status.verdict.status) == (
        "вул. Шевченка, 10, кв. 5",
        ["Петренко Іван"],
        "blocked",
    )
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.organisation_code, entry.action, entry.object_type, entry.object_id) == (
        city.subsidy,
        "USZN",
        "subsidy.debt_status",
        "dwelling",
        str(city.dwelling.pk),
    )
    assert entry.detail == {"application_date": "2026-11-15", "status": "blocked"}
    assert household_status(dwelling_id=999999, on=ON) is None


def test_find_by_tax_id_register_then_accounts(city):
    assert households_find(tax_id=TAX_ID).dwelling_ids == (city.dwelling.pk,)
    assert households_find(tax_id=TAX_ID_2).reason == (
        f"tax id {TAX_ID_2} is not registered in any dwelling and names no account"
    )
    city.account("ECO", "waste", "0", dwelling=city.other, tax_id=TAX_ID_2)
    assert households_find(tax_id=TAX_ID_2).one == city.other.pk
    assert households_find(tax_id="123").reason == "tax id 123: a РНОКПП has 10 digits"


def test_find_by_address(city):
    assert households_find(address="Шевченка 10 кв 6").one == city.other.pk
    assert households_find(address="вул. Шевченка, 11, кв. 6").reason == (
        "address 'вул. Шевченка, 11, кв. 6': no house 11 on this street"
    )
    assert households_find().reason == "give a tax id or an address"
