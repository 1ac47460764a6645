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
    """Second payment of the day: claim, accounts locked, then day counter, payment and lines —
    one statement on PostgreSQL (merezha_payment_take), five on SQLite (plus the test's own
    savepoint and its release, as the test runs inside a transaction)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pay({"water": "1"})
    with CaptureQueriesContext(connection) as queries:
        payment = pay({"water": "2", "heat": "3"})
    assert payment.receipt == "P-01-20261102-2"
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    if connection.vendor == "postgresql":
        assert statements == ["SAVEPOINT", "SELECT", "RELEASE"]
        assert "merezha_payment_take(" in queries.captured_queries[1]["sql"]
    else:
        assert statements == ["SAVEPOINT", "INSERT", "SELECT", "UPDATE", "INSERT", "INSERT", "RELEASE"]
    assert PaymentLine.objects.filter(payment=payment).count() == 2


@pytest.fixture(params=["plain", "prepared"])
def statements(request):
    """Run with Django's client-side cursors, then (PostgreSQL) with prepared statements on."""
    from django.db import connection

    if request.param == "plain":
        yield request.param
        return
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    connection.ensure_connection()
    raw = connection.connection
    saved, raw.prepare_threshold = raw.prepare_threshold, 5
    try:
        yield request.param
    finally:
        raw.prepare_threshold = saved


@pytest.mark.parametrize("first_of_day", [True, False])
def test_what_payment_create_returns_is_what_it_wrote(world, pay, first_of_day, statements):
    """The hand-written INSERTs (the day's first payment takes the full path, later ones the counted
    one): the returned payment and lines equal the rows read back through the ORM."""
    if not first_of_day:
        for i in range(6):  # past psycopg's and PostgreSQL's thresholds of prepared and generic plans
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


def test_the_payment_function_writes_every_column_of_a_payment_and_its_lines():
    """On PostgreSQL `merezha_payment_take` (payments migration 0002) writes the payment and its
    lines itself: a field added to either model needs that function written anew, in a migration."""
    import importlib
    import re

    fn = importlib.import_module("merezha.payments.migrations.0002_payment_take_function").CREATE

    def written(table: str) -> list[str]:
        m = re.search(rf"INSERT INTO {table} \(([^)]*)\)", fn)
        assert m is not None, table
        return sorted(c.strip() for c in m.group(1).split(","))

    assert written("payments_payment") == sorted(f.column for f in Payment._meta.concrete_fields)
    assert written("payments_paymentline") == sorted(
        f.column for f in PaymentLine._meta.concrete_fields if not f.primary_key
    )


# --- payment_take_for_token: the API's hot path (token check and payment in one statement) ---


@pytest.fixture
def cashier_token(world):
    from merezha.organisations.services import api_token_create

    return api_token_create(user=world.cashiers[0], name="desk")


def _take(world, plain: str, key: str, lines: dict[str, str], **kw):
    from merezha.payments.services import payment_take_for_token

    return payment_take_for_token(
        token=plain,
        lines=[
            PaymentLineIn(account_id=world.accounts[s].pk, amount=Money.parse(a)) for s, a in lines.items()
        ],
        method=kw.get("method", "card"),
        tendered=None if kw.get("tendered") is None else Money.parse(kw["tendered"]),
        idempotency_key=key,
        now=kw.get("when", at("2026-11-02", 9, 30)),
    )


def _kept() -> tuple[int, int, list[int], list[str]]:
    """What a refused hot payment must leave as it was: payments, lines, receipt counters, keys."""
    from merezha.core.models import IdempotencyKey
    from merezha.payments.models import OperationalDay

    return (
        Payment.objects.count(),
        PaymentLine.objects.count(),
        list(OperationalDay.objects.order_by("pk").values_list("receipt_counter", flat=True)),
        sorted(IdempotencyKey.objects.values_list("key", flat=True)),
    )


def test_the_hot_path_writes_what_payment_create_writes(world, pay, cashier_token):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pay({"water": "1"})  # the day's first payment opens the day (the full path)
    with CaptureQueriesContext(connection) as queries:
        taken = _take(
            world,
            cashier_token[1],
            "hot-1",
            {"heat": "300.00", "water": "12.34"},
            method="cash",
            tendered="400",
        )
    if connection.vendor != "postgresql":
        assert taken is None and not queries.captured_queries  # SQLite: always the full route
        return
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SAVEPOINT", "SELECT", "RELEASE"]
    assert "merezha_cashier_payment_take(" in queries.captured_queries[1]["sql"]
    assert taken is not None
    stored = Payment.objects.select_related("point", "cashier").get(pk=taken.id)
    assert (taken.receipt, taken.point_code, taken.cashier_username) == (
        "P-01-20261102-2",
        "P-01",
        world.cashiers[0].username,
    )
    assert (stored.receipt, stored.number, stored.point.code, stored.cashier, stored.idempotency_key) == (
        "P-01-20261102-2",
        2,
        "P-01",
        world.cashiers[0],
        "hot-1",
    )
    assert (
        (stored.operational_day, stored.accepted_at, stored.method)
        == (
            taken.operational_day,
            taken.accepted_at,
            "cash",
        )
        == (dt.date(2026, 11, 2), at("2026-11-02", 9, 30), "cash")
    )
    assert (str(stored.total), str(stored.tendered), str(stored.change)) == ("312.34", "400.00", "87.66")
    assert (taken.total, taken.tendered, taken.change) == (stored.total, stored.tendered, stored.change)
    assert [(x.id, x.account_id, x.provider_id, str(x.amount)) for x in taken.lines] == [
        (x.pk, x.account_id, x.provider_id, str(x.amount)) for x in PaymentLine.objects.filter(payment=stored)
    ]
    assert [(x.account_number, x.service_code, x.provider_code) for x in taken.lines] == [
        ("H-7", "heat", "heat"),
        ("W-100", "water", "water"),
    ]
    # the same key and request again: a replay, which the full route reads (and answers 200)
    assert (
        _take(
            world,
            cashier_token[1],
            "hot-1",
            {"heat": "300.00", "water": "12.34"},
            method="cash",
            tendered="400",
        )
        is None
    )
    again = payment_create(
        cashier=world.cashiers[0],
        point=world.points[0],
        lines=[
            PaymentLineIn(account_id=world.accounts["heat"].pk, amount=Money.parse("300.00")),
            PaymentLineIn(account_id=world.accounts["water"].pk, amount=Money.parse("12.34")),
        ],
        method="cash",
        tendered=Money.parse("400"),
        idempotency_key="hot-1",
    )
    assert (again.created, again.payment.pk) == (False, taken.id)


def test_the_hot_path_records_the_tokens_use(world, pay, cashier_token):
    from django.db import connection

    from merezha.organisations.models import ApiToken

    if connection.vendor != "postgresql":
        pytest.skip("the hot path is PostgreSQL's")
    pay({"water": "1"})
    assert ApiToken.objects.get(pk=cashier_token[0].pk).last_used_at is None
    assert _take(world, cashier_token[1], "hot-1", {"water": "2"}) is not None
    assert ApiToken.objects.get(pk=cashier_token[0].pk).last_used_at is not None


def _refusals(world, make_user, make_org):
    """(what is wrong, how to make it so): each must make the hot path step aside and keep nothing."""
    from merezha.organisations.services import api_token_revoke
    from merezha.providers.models import Account

    def revoked(plain, token):
        api_token_revoke(token=token)

    def inactive_user(plain, token):
        world.cashiers[0].is_active = False
        world.cashiers[0].save(update_fields=["is_active"])

    def not_a_cashier(plain, token):
        world.cashiers[0].role = "manager"
        world.cashiers[0].save(update_fields=["role"])

    def inactive_point(plain, token):
        world.points[0].is_active = False
        world.points[0].save(update_fields=["is_active"])

    def not_a_point(plain, token):
        world.points[0].kind = "payment_operator"
        world.points[0].save(update_fields=["kind"])

    def inactive_account(plain, token):
        Account.objects.filter(pk=world.accounts["water"].pk).update(is_active=False)

    return {
        "unknown token": (lambda plain, token: None, {"token": "mz_nobody"}),
        "revoked token": (revoked, {}),
        "inactive user": (inactive_user, {}),
        "not a cashier": (not_a_cashier, {}),
        "inactive point": (inactive_point, {}),
        "not a payment point": (not_a_point, {}),
        "another cashier's key is another scope, this one a replay": (lambda p, t: None, {"key": "k-1"}),
        "conflict": (lambda p, t: None, {"key": "k-1", "lines": {"water": "99.00"}}),
        "inactive account": (inactive_account, {}),
        "zero amount": (lambda p, t: None, {"lines": {"water": "0"}}),
        "no key": (lambda p, t: None, {"key": "  "}),
        "key with a control character": (lambda p, t: None, {"key": "a\x00b"}),
        "tendered on a card": (lambda p, t: None, {"tendered": "5"}),
        "the day is closed": (
            lambda p, t: point_day_close(
                point=world.points[0], user=world.cashiers[0], day=dt.date(2026, 11, 2)
            ),
            {},
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "unknown token",
        "revoked token",
        "inactive user",
        "not a cashier",
        "inactive point",
        "not a payment point",
        "another cashier's key is another scope, this one a replay",
        "conflict",
        "inactive account",
        "zero amount",
        "no key",
        "key with a control character",
        "tendered on a card",
        "the day is closed",
    ],
)
def test_the_hot_path_steps_aside_and_keeps_nothing(world, pay, cashier_token, make_user, make_org, case):
    """Each case the full route answers otherwise than 201 (401, 403, 200, 409, 422) or takes the
    full path for (a closed day moves to the next one): None, and nothing written."""
    token, plain = cashier_token
    pay({"water": "1"}, key="k-1")
    make, over = _refusals(world, make_user, make_org)[case]
    make(plain, token)
    before = _kept()
    lines = over.get("lines", {"water": "2.00", "heat": "3.00"})
    assert (
        _take(world, over.get("token", plain), over.get("key", "hot-1"), lines, tendered=over.get("tendered"))
        is None
    )
    assert _kept() == before


def test_an_unknown_account_makes_the_hot_path_step_aside(world, pay, cashier_token):
    from merezha.payments.services import payment_take_for_token

    pay({"water": "1"})
    before = _kept()
    lines = [
        PaymentLineIn(account_id=world.accounts["water"].pk, amount=Money(100)),
        PaymentLineIn(account_id=999_999, amount=Money(100)),
    ]
    assert (
        payment_take_for_token(
            token=cashier_token[1], lines=lines, method="card", tendered=None, idempotency_key="x"
        )
        is None
    )
    assert _kept() == before
