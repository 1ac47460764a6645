"""The payment service: exactly once per key, clear refusals, receipts, cancellations, operational days."""

from __future__ import annotations

import datetime as dt

import pytest

from merezha.core.money import Money
from merezha.core.services import IdempotencyConflict
from merezha.payments.models import Cancellation, Payment, PaymentLine
from merezha.payments.selectors import account_debts, dwelling_accounts_with_debt, shift_summary
from merezha.payments.services import PaymentError, PaymentLineIn, payment_cancel, payment_create
from merezha.registers.services import point_day_close
from tests.payments.conftest import at

pytestmark = pytest.mark.django_db


def test_payment_with_partial_and_advance_lines(world, pay):
    p = pay({"water": "250.40", "heat": "900.00"}, method="cash", tendered="1200")
    assert p.receipt == "P-01-20261102-1"
    assert p.total == Money.parse("1150.40") and p.change == Money.parse("49.60")
    assert p.operational_day == dt.date(2026, 11, 2)
    assert sorted((line.account.service.code, str(line.amount)) for line in p.lines.all()) == [
        ("heat", "900.00"),
        ("water", "250.40"),
    ]
    p2 = pay({"sewer": "200.00"})  # an advance: more than the debt
    assert p2.receipt == "P-01-20261102-2" and p2.change is None
    debts = {
        d.service_code: (str(d.closing), str(d.paid_since), str(d.debt))
        for d in dwelling_accounts_with_debt(dwelling_id=world.dwelling.pk)
    }
    assert debts == {
        "water": ("250.40", "250.40", "0.00"),
        "sewer": ("120.00", "200.00", "-80.00"),
        "heat": ("1830.15", "900.00", "930.15"),
    }
    assert account_debts(account_ids=[world.accounts["heat"].pk, world.accounts["sewer"].pk, 999999]) == {
        world.accounts["heat"].pk: Money.parse("930.15"),
        world.accounts["sewer"].pk: Money.parse("-80.00"),
    }


def test_receipt_numbers_are_per_point_and_day(world, pay):
    assert pay({"water": "1"}).receipt == "P-01-20261102-1"
    assert pay({"water": "1"}, point=1).receipt == "P-02-20261102-1"
    assert pay({"water": "1"}, when=at("2026-11-03")).receipt == "P-01-20261103-1"
    assert pay({"water": "1"}).receipt == "P-01-20261102-2"


def test_same_key_same_body_returns_the_same_payment(world):
    cashier, point = world.cashiers[0], world.points[0]
    lines = [PaymentLineIn(account_id=world.accounts["water"].pk, amount=Money.parse("10"))]
    first = payment_create(
        cashier=cashier,
        point=point,
        lines=lines,
        method="card",
        tendered=None,
        idempotency_key="abc",
        now=at("2026-11-02"),
    )
    again = payment_create(
        cashier=cashier,
        point=point,
        lines=lines,
        method="card",
        tendered=None,
        idempotency_key="abc",
        now=at("2026-11-02", 11),
    )
    assert first.created and not again.created and again.payment.pk == first.payment.pk
    with pytest.raises(IdempotencyConflict):
        payment_create(
            cashier=cashier,
            point=point,
            method="card",
            tendered=None,
            idempotency_key="abc",
            lines=[PaymentLineIn(account_id=world.accounts["water"].pk, amount=Money.parse("11"))],
        )
    assert Payment.objects.count() == 1 and PaymentLine.objects.count() == 1


@pytest.mark.parametrize(
    ("lines", "method", "tendered", "message"),
    [
        ({"water": "0"}, "card", None, "line 1: amount must be positive, got 0.00"),
        ({"water": "5", "heat": "-1"}, "card", None, "line 2: amount must be positive, got -1.00"),
        ({}, "card", None, "a payment needs at least one line"),
        ({"water": "100"}, "cash", "99.99", "cash tendered 99.99 is less than the total 100.00"),
        ({"water": "100"}, "cheque", None, "unknown payment method 'cheque': use cash or card"),
    ],
)
def test_refusals_change_nothing(world, lines, method, tendered, message):
    with pytest.raises(PaymentError) as err:
        payment_create(
            cashier=world.cashiers[0],
            point=world.points[0],
            method=method,
            idempotency_key="x",
            tendered=None if tendered is None else Money.parse(tendered),
            lines=[
                PaymentLineIn(account_id=world.accounts[s].pk, amount=Money.parse(a))
                for s, a in lines.items()
            ],
        )
    assert str(err.value) == message
    assert Payment.objects.count() == 0
    # the key was not consumed: a correct request under it is accepted
    ok = payment_create(
        cashier=world.cashiers[0],
        point=world.points[0],
        method="card",
        tendered=None,
        idempotency_key="x",
        lines=[PaymentLineIn(account_id=world.accounts["water"].pk, amount=Money.parse("1"))],
    )
    assert ok.created


def test_unknown_and_inactive_accounts_are_refused(world):
    acc = world.accounts["heat"]
    acc.is_active = False
    acc.save()
    args = {"cashier": world.cashiers[0], "point": world.points[0], "method": "card", "tendered": None}
    with pytest.raises(PaymentError, match="account H-7 is no longer active at its provider"):
        payment_create(
            **args, idempotency_key="a", lines=[PaymentLineIn(account_id=acc.pk, amount=Money(100))]
        )
    with pytest.raises(PaymentError, match="unknown account 987654"):
        payment_create(
            **args, idempotency_key="b", lines=[PaymentLineIn(account_id=987654, amount=Money(100))]
        )


def test_only_the_points_cashier_may_take_payments(world):
    with pytest.raises(PaymentError, match="only a cashier of this payment point"):
        payment_create(
            cashier=world.cashiers[1],
            point=world.points[0],
            method="card",
            tendered=None,
            idempotency_key="a",
            lines=[PaymentLineIn(account_id=world.accounts["water"].pk, amount=Money(100))],
        )


def test_payment_after_close_goes_to_the_next_day(world, pay):
    pay({"water": "10"})
    point_day_close(point=world.points[0], user=world.cashiers[0], day=dt.date(2026, 11, 2))
    late = pay({"water": "20"}, when=at("2026-11-02", 18))
    assert late.operational_day == dt.date(2026, 11, 3) and late.receipt == "P-01-20261103-1"
    other_point = pay({"water": "30"}, point=1, when=at("2026-11-02", 18))
    assert other_point.operational_day == dt.date(2026, 11, 2)
    # a moment just before local midnight is still that local day (Kyiv, not UTC)
    night = pay({"water": "1"}, point=1, when=dt.datetime(2026, 11, 2, 21, 59, tzinfo=dt.UTC))
    assert night.operational_day == dt.date(2026, 11, 2)
    night2 = pay({"water": "1"}, point=1, when=dt.datetime(2026, 11, 2, 22, 1, tzinfo=dt.UTC))
    assert night2.operational_day == dt.date(2026, 11, 3)


def test_cancel_same_day_with_reason_once(world, pay):
    p = pay({"water": "50", "heat": "70"})
    with pytest.raises(PaymentError, match="a reason is required"):
        payment_cancel(payment_id=p.pk, cashier=world.cashiers[0], reason="  ", now=at("2026-11-02", 12))
    with pytest.raises(PaymentError, match="no such payment at this point"):
        payment_cancel(payment_id=p.pk, cashier=world.cashiers[1], reason="wrong", now=at("2026-11-02", 12))
    with pytest.raises(PaymentError, match="only a payment of today's operational day"):
        payment_cancel(payment_id=p.pk, cashier=world.cashiers[0], reason="wrong", now=at("2026-11-03", 9))
    c = payment_cancel(
        payment_id=p.pk, cashier=world.cashiers[0], reason="wrong account", now=at("2026-11-02", 12)
    )
    assert c.reason == "wrong account" and Payment.objects.filter(pk=p.pk).exists()
    with pytest.raises(PaymentError, match=f"payment {p.receipt} is already cancelled"):
        payment_cancel(payment_id=p.pk, cashier=world.cashiers[0], reason="again", now=at("2026-11-02", 12))
    assert Cancellation.objects.count() == 1
    debts = {d.service_code: str(d.debt) for d in dwelling_accounts_with_debt(dwelling_id=world.dwelling.pk)}
    assert debts == {"water": "250.40", "sewer": "120.00", "heat": "1830.15"}
    s = shift_summary(point_id=world.points[0].pk, day=dt.date(2026, 11, 2))
    assert (s.payments, s.total, s.cancelled, s.cancelled_total) == (0, Money(0), 1, Money.parse("120.00"))


def test_cancel_refused_after_close(world, pay):
    p = pay({"water": "50"})
    point_day_close(point=world.points[0], user=world.cashiers[0], day=dt.date(2026, 11, 2))
    with pytest.raises(PaymentError, match="the operational day 2026-11-02 is closed"):
        payment_cancel(payment_id=p.pk, cashier=world.cashiers[0], reason="late", now=at("2026-11-02", 19))


def test_shift_summary_by_provider_and_cashier(world, pay, make_user):
    pay({"water": "10.00", "sewer": "5.50"})
    pay({"heat": "100.00"})
    second = make_user("cashier", organisation=world.points[0])
    payment_create(
        cashier=second,
        point=world.points[0],
        method="cash",
        tendered=None,
        idempotency_key="z",
        now=at("2026-11-02"),
        lines=[PaymentLineIn(account_id=world.accounts["heat"].pk, amount=Money.parse("1.00"))],
    )
    s = shift_summary(point_id=world.points[0].pk, day=dt.date(2026, 11, 2))
    assert (s.status, s.payments, s.total) == ("open", 3, Money.parse("116.50"))
    assert [(p.provider_code, p.count, str(p.total)) for p in s.by_provider] == [
        ("heat", 2, "101.00"),
        ("water", 2, "15.50"),
    ]
    mine = shift_summary(point_id=world.points[0].pk, day=dt.date(2026, 11, 2), cashier_id=second.pk)
    assert (mine.payments, str(mine.total)) == (1, "1.00")


def test_stale_flag(world, settings):
    settings.STALE_DATA_DAYS = 10
    from merezha.payments import selectors

    today = dt.date(2026, 11, 10)
    selectors.local_today = lambda: today  # type: ignore[assignment]
    try:
        assert {
            d.service_code: d.stale for d in dwelling_accounts_with_debt(dwelling_id=world.dwelling.pk)
        } == {
            "water": False,
            "sewer": False,
            "heat": False,
        }
        assert all(
            d.stale for d in dwelling_accounts_with_debt(dwelling_id=world.dwelling.pk, stale_after_days=9)
        )
        assert all(
            d.as_of == dt.date(2026, 10, 31)
            for d in dwelling_accounts_with_debt(dwelling_id=world.dwelling.pk)
        )
    finally:
        selectors.local_today = lambda: __import__("django.utils.timezone", fromlist=["x"]).localdate()


def test_a_payment_taken_after_close_can_be_cancelled_that_evening(world, pay):
    pay({"water": "10"})
    point_day_close(point=world.points[0], user=world.cashiers[0], day=dt.date(2026, 11, 2))
    late = pay({"water": "20"}, when=at("2026-11-02", 18))
    assert late.operational_day == dt.date(2026, 11, 3)
    c = payment_cancel(
        payment_id=late.pk, cashier=world.cashiers[0], reason="typo", now=at("2026-11-02", 18, 5)
    )
    assert c.payment_id == late.pk


def test_a_payment_is_a_handful_of_statements(world, pay):
    """Second payment of the day, on every database: the claim, the day row locked, the accounts
    locked, the day's counter, the payment and its lines (and the test's own savepoint and its
    release, as the test runs inside a transaction). The locks in that order (payments.locks)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pay({"water": "1"})
    with CaptureQueriesContext(connection) as queries:
        payment = pay({"water": "2", "heat": "3"})
    assert payment.receipt == "P-01-20261102-2"
    sql = [q["sql"] for q in queries.captured_queries]
    assert [s.split()[0].upper() for s in sql] == [
        "SAVEPOINT",
        "INSERT",
        "SELECT",
        "SELECT",
        "UPDATE",
        "INSERT",
        "INSERT",
        "RELEASE",
    ]
    assert "core_idempotencykey" in sql[1]
    assert "payments_operationalday" in sql[2] and "providers_account" in sql[3]
    if connection.vendor == "postgresql":  # SQLite has no row locks
        assert sql[2].endswith("FOR NO KEY UPDATE")
        assert sql[3].endswith('FOR NO KEY UPDATE OF "providers_account"')
    assert PaymentLine.objects.filter(payment=payment).count() == 2


@pytest.mark.parametrize("first_of_day", [True, False])
def test_what_payment_create_returns_is_what_it_wrote(world, pay, first_of_day):
    """The day's first payment (which opens the day) and a later one: the returned payment and
    lines equal the rows read back through the ORM."""
    if not first_of_day:
        for i in range(6):
            pay({"sewer": "5", "heat": "1"}, when=at("2026-11-02", 8, i))
    res = payment_create(
        cashier=world.cashiers[0],
        point=world.points[0],
        lines=[
            PaymentLineIn(account_id=world.accounts["heat"].pk, amount=Money.parse("300.00")),
            PaymentLineIn(account_id=world.accounts["water"].pk, amount=Money.parse("12.34")),
        ],
        method="cash",
        tendered=Money.parse("400"),
        idempotency_key="written",
        now=at("2026-11-02", 9, 30),
    )
    number = 1 if first_of_day else 7
    stored = Payment.objects.get(pk=res.payment.pk)
    fields = ["id", "point_id", "cashier_id", "operational_day", "number", "receipt", "accepted_at"]
    fields += ["method", "total", "tendered", "change", "idempotency_key"]
    assert [getattr(res.payment, f) for f in fields] == [getattr(stored, f) for f in fields]
    assert (stored.number, stored.receipt) == (number, f"P-01-20261102-{number}")
    assert (stored.total, stored.tendered, stored.change) == (
        Money.parse("312.34"),
        Money.parse("400.00"),
        Money.parse("87.66"),
    )
    assert stored.accepted_at == at("2026-11-02", 9, 30)
    assert [(x.id, x.account_id, x.provider_id, x.amount) for x in res.lines] == [
        (x.pk, x.account_id, x.provider_id, x.amount) for x in PaymentLine.objects.filter(payment=stored)
    ]
    assert {
        (x.payment_id, x.operational_day, x.point_id) for x in PaymentLine.objects.filter(payment=stored)
    } == {(stored.pk, stored.operational_day, stored.point_id)}
    assert [(x.account_number, x.service_code, x.provider_code, str(x.amount)) for x in res.lines] == [
        ("H-7", "heat", "heat", "300.00"),
        ("W-100", "water", "water", "12.34"),
    ]
    assert not res.payment._state.adding
    again = payment_create(
        cashier=world.cashiers[0],
        point=world.points[0],
        lines=[PaymentLineIn(account_id=world.accounts["heat"].pk, amount=Money.parse("1.00"))],
        method="card",
        tendered=None,
        idempotency_key="written-2",
        now=at("2026-11-02", 9, 31),
    )
    assert (again.payment.receipt, again.payment.tendered, again.payment.change) == (
        f"P-01-20261102-{number + 1}",
        None,
        None,
    )
    assert Payment.objects.get(pk=again.payment.pk).receipt == f"P-01-20261102-{number + 1}"
