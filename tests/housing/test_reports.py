"""Exact figures of every report on the small fixed city of conftest.py."""

from __future__ import annotations

import datetime as dt

import pytest

from merezha.core.money import Money
from merezha.housing import reports, services

pytestmark = pytest.mark.django_db

M = Money.parse


def test_rent_debt_by_building(city):
    rows = reports.rent_debt_by_building(office=city.office)
    assert [(b.address, b.dwellings, b.accounts, b.debtors, b.debt, b.overpaid) for b in rows] == [
        ("вул. Миру, 5", 2, 1, 0, M("0"), M("100.00")),
        ("вул. Свободи, 1", 3, 3, 3, M("2150.00"), M("0")),
    ]


def test_rent_debt_by_building_street_filter(city):
    rows = reports.rent_debt_by_building(office=city.office, street_id=city.streets["Миру"].pk)
    assert [b.address for b in rows] == ["вул. Миру, 5"]


def test_debtors_list_with_months(city):
    rows = reports.debtors_list(office=city.office)
    assert [(d.account, d.address, d.registered, d.charge, d.debt, d.months) for d in rows] == [
        ("R1", "вул. Свободи, 1, кв. 1", 3, M("500.00"), M("1500.00"), 3),
        ("R2", "вул. Свободи, 1, кв. 2", 1, M("300.00"), M("450.00"), 1),
        ("R3", "вул. Свободи, 1, кв. 3", 0, M("200.00"), M("200.00"), 1),
    ]


def test_debtors_filters(city):
    assert [d.account for d in reports.debtors_list(office=city.office, min_months=2)] == ["R1"]
    assert [d.account for d in reports.debtors_list(office=city.office, min_debt=M("400"))] == ["R1", "R2"]
    assert [
        d.account for d in reports.debtors_list(office=city.office, building_id=city.buildings["B2"].pk)
    ] == []
    assert [
        d.account for d in reports.debtors_list(office=city.office, street_id=city.streets["Свободи"].pk)
    ] == ["R1", "R2", "R3"]


def test_city_wide_debtors_cover_every_office(city):
    rows = list(reports.debtors_iter(office=None))
    assert [(d.office_code, d.account, d.debt) for d in rows] == [
        ("ZHEK-2", "R6", M("800.00")),
        ("ZHEK-1", "R1", M("1500.00")),
        ("ZHEK-1", "R2", M("450.00")),
        ("ZHEK-1", "R3", M("200.00")),
    ]


def test_months_of_debt_rule():
    assert reports.months_of_debt(M("1499.99"), M("500.00")) == 2
    assert reports.months_of_debt(M("1500.00"), M("500.00")) == 3
    assert reports.months_of_debt(M("10.00"), None) is None
    assert reports.months_of_debt(M("10.00"), M("0")) is None


def test_beneficiaries(city):
    rows, counts = reports.beneficiaries(office=city.office)
    assert counts == [("PENS", "Пенсіонер", 1), ("VET", "Ветеран війни", 2)]
    assert [(b.category, b.full_name, b.address) for b in rows] == [
        ("PENS", "Петренко Ганна", "вул. Свободи, 1, кв. 2"),
        ("VET", "Коваль Ірина", "вул. Миру, 5, кв. 1"),
        ("VET", "Іваненко Олена", "вул. Свободи, 1, кв. 1"),
    ]
    vet, _ = reports.beneficiaries(office=city.office, category="VET")
    assert [b.full_name for b in vet] == ["Коваль Ірина", "Іваненко Олена"]


def test_rent_recalculation(city):
    services.absence_record(
        office=city.office,
        person_id=city.persons["maria"].pk,
        user=city.clerk,
        date_from=dt.date(2026, 9, 21),
        date_to=dt.date(2026, 10, 10),
        reason="табір",
    )
    rows = reports.rent_recalculation(
        office=city.office, month_from=dt.date(2026, 8, 1), month_to=dt.date(2026, 11, 1)
    )
    assert [(r.period, r.days_absent, r.days_in_month, r.charge, r.registered, r.amount) for r in rows] == [
        (dt.date(2026, 9, 1), 10, 30, M("500.00"), 3, M("55.56")),
        (dt.date(2026, 10, 1), 10, 31, M("500.00"), 3, M("53.76")),
    ]
    only_oct = reports.rent_recalculation(
        office=city.office, month_from=dt.date(2026, 10, 1), month_to=dt.date(2026, 10, 1)
    )
    assert [(r.date_from, r.date_to, r.amount) for r in only_oct] == [
        (dt.date(2026, 10, 1), dt.date(2026, 10, 10), M("53.76"))
    ]


def test_recalculation_without_charge_and_after_departure(city):
    # D5 has no rent account; the person's absence is listed with no charge and nothing to recalculate
    services.absence_record(
        office=city.office,
        person_id=city.persons["oleh"].pk,
        user=city.clerk,
        date_from=dt.date(2026, 10, 1),
        date_to=dt.date(2026, 10, 31),
        reason="відрядження",
    )
    # in D1 one of three leaves on 2026-09-01: two remain, so a September absence shares 500.00 by 2
    services.person_deregister(
        office=city.office,
        person_id=city.persons["petro"].pk,
        user=city.clerk,
        date=dt.date(2026, 9, 1),
        reason="moved_out",
    )
    services.absence_record(
        office=city.office,
        person_id=city.persons["olena"].pk,
        user=city.clerk,
        date_from=dt.date(2026, 9, 1),
        date_to=dt.date(2026, 9, 30),
        reason="лікування",
    )
    rows = reports.rent_recalculation(
        office=city.office, month_from=dt.date(2026, 9, 1), month_to=dt.date(2026, 10, 1)
    )
    assert [(r.full_name, r.period, r.charge, r.registered, r.amount) for r in rows] == [
        ("Шевчук Олег", dt.date(2026, 10, 1), None, 1, M("0")),
        ("Іваненко Олена", dt.date(2026, 9, 1), M("500.00"), 2, M("250.00")),
    ]


def test_rent_anomalies(city):
    not_charged, nobody = reports.rent_anomalies(office=city.office)
    assert [(a.dwelling, a.registered, a.rent_accounts, a.charge) for a in not_charged] == [
        ("D5", 1, 0, M("0"))
    ]
    assert [(a.dwelling, a.registered, a.rent_accounts, a.charge) for a in nobody] == [
        ("D3", 0, 1, M("200.00"))
    ]


def test_debt_by_month(city):
    assert reports.rent_debt_by_month(office=city.office) == [
        (dt.date(2026, 8, 1), M("1200.00")),
        (dt.date(2026, 9, 1), M("1300.00")),
        (dt.date(2026, 10, 1), M("2150.00")),
    ]


def test_charts_are_svg_with_exact_labels(city):
    from merezha.housing import charts

    svg = charts.hbar_chart(items=[("вул. Свободи, 1", M("2150.00")), ("<b>", M("100.00"))])
    assert svg.startswith("<svg") and "2\u202f150,00" in svg and "&lt;b&gt;" in svg
    assert 'width="390"' in svg  # the largest bar takes the whole bar space: 760 - 260 - 110
    assert 'width="18"' in svg  # 100.00 / 2150.00 of 390, rounded down


def test_network_payments_after_the_snapshot_lower_the_debt(city, make_org, make_user):
    """Current debt = closing − network payments after payments_through (payments.account_debts)."""
    from merezha.payments.models import Cancellation, Payment, PaymentLine

    point = make_org("payment_point", code="P-1")
    cashier = make_user("cashier", organisation=point)

    def pay(n: int, day: dt.date, account: str, amount: str) -> Payment:
        p = Payment.objects.create(
            point=point,
            cashier=cashier,
            operational_day=day,
            number=n,
            receipt=f"T-{n}",
            accepted_at=dt.datetime(day.year, day.month, day.day, 10, tzinfo=dt.UTC),
            method="cash",
            total=M(amount),
            idempotency_key=f"k{n}",
        )
        PaymentLine.objects.create(
            payment=p,
            account=city.accounts[account],
            provider=city.rent,
            operational_day=day,
            point=point,
            amount=M(amount),
        )
        return p

    pay(1, dt.date(2026, 10, 31), "R1", "100.00")  # already in the snapshot: not subtracted again
    pay(2, dt.date(2026, 11, 2), "R1", "600.00")
    pay(3, dt.date(2026, 11, 3), "R2", "450.00")
    cancelled = pay(4, dt.date(2026, 11, 3), "R3", "200.00")
    Cancellation.objects.create(
        payment=cancelled, cashier=cashier, reason="mistake", cancelled_at=cancelled.accepted_at
    )
    rows = reports.debtors_list(office=city.office)
    assert [(d.account, d.debt, d.months) for d in rows] == [("R1", M("900.00"), 1), ("R3", M("200.00"), 1)]
    by_building = {b.address: (b.debtors, b.debt) for b in reports.rent_debt_by_building(office=city.office)}
    assert by_building["вул. Свободи, 1"] == (2, M("1100.00"))
