"""Retries and concurrent duplicates of one payment request create exactly one payment."""

from __future__ import annotations

import pytest
from django.db import connection

from merezha.core.money import Money
from merezha.core.services import IdempotencyConflict
from merezha.payments.models import OperationalDay, Payment, PaymentLine
from merezha.payments.services import PaymentLineIn, payment_create
from tests.concurrency import at_once
from tests.payments.conftest import at


def test_sequential_retries_after_a_timeout_return_the_first_payment(world):
    args = {
        "cashier": world.cashiers[0],
        "point": world.points[0],
        "lines": [PaymentLineIn(account_id=world.accounts["water"].pk, amount=Money.parse("42.00"))],
        "method": "card",
        "tendered": None,
        "idempotency_key": "retry-1",
    }
    results = [payment_create(**args, now=at("2026-11-02", 9, minute)) for minute in range(5)]
    assert [r.created for r in results] == [True, False, False, False, False]
    assert {r.payment.pk for r in results} == {results[0].payment.pk}
    assert Payment.objects.count() == 1 and PaymentLine.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_duplicates_create_one_payment(world):
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite serialises every writer (one database lock): real concurrency is tested on PostgreSQL"
        )
    n = 8

    def duplicate(_: int) -> tuple[bool, object, str]:
        res = payment_create(
            cashier=world.cashiers[0],
            point=world.points[0],
            lines=[
                PaymentLineIn(account_id=world.accounts["water"].pk, amount=Money.parse("10.00")),
                PaymentLineIn(account_id=world.accounts["heat"].pk, amount=Money.parse("20.00")),
            ],
            method="card",
            tendered=None,
            idempotency_key="same-key",
            now=at("2026-11-02", 9),
        )
        return res.created, res.payment.pk, res.payment.receipt

    outcomes = at_once(n, duplicate)
    assert len(outcomes) == n and not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sorted(o[0] for o in outcomes) == [False] * (n - 1) + [True]  # type: ignore[index]
    assert len({o[1] for o in outcomes}) == 1  # type: ignore[index]
    assert Payment.objects.count() == 1 and PaymentLine.objects.count() == 2
    assert OperationalDay.objects.get().receipt_counter == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_different_payments_get_distinct_receipts(world):
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite serialises every writer (one database lock): real concurrency is tested on PostgreSQL"
        )
    n = 8

    def pay(i: int) -> object:
        return payment_create(
            cashier=world.cashiers[0],
            point=world.points[0],
            lines=[PaymentLineIn(account_id=world.accounts["heat"].pk, amount=Money(100 + i))],
            method="card",
            tendered=None,
            idempotency_key=f"k-{i}",
            now=at("2026-11-02", 9),
        )

    results = at_once(n, pay)
    assert len(results) == n and [r for r in results if isinstance(r, Exception)] == []
    assert sorted(Payment.objects.values_list("number", flat=True)) == list(range(1, n + 1))
    with pytest.raises(IdempotencyConflict):
        payment_create(
            cashier=world.cashiers[0],
            point=world.points[0],
            method="card",
            tendered=None,
            idempotency_key="k-0",
            lines=[PaymentLineIn(account_id=world.accounts["heat"].pk, amount=Money(1))],
        )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_http_retries_create_one_payment(world, live_server):
    """A client that times out and retries, several times at once, over HTTP: one payment, one receipt."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite serialises every writer (one database lock): real concurrency is tested on PostgreSQL"
        )
    import json
    import urllib.request

    from merezha.organisations.services import api_token_create

    token = api_token_create(user=world.cashiers[0], name="t")[1]
    body = json.dumps(
        {"lines": [{"account_id": world.accounts["water"].pk, "amount": "12.34"}], "method": "card"}
    ).encode()
    n = 6

    def retry(_: int) -> tuple[int, str]:
        req = urllib.request.Request(
            f"{live_server.url}/api/v1/payments",
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": "retry-http",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())["receipt"]

    answers = at_once(n, retry)
    assert not [a for a in answers if isinstance(a, Exception)], answers
    assert sorted(status for status, _ in answers) == [200] * (n - 1) + [201]  # type: ignore[misc]
    receipts = {receipt for _, receipt in answers}  # type: ignore[misc]
    assert len(receipts) == 1 and receipts.pop().endswith("-1")
    assert Payment.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_refused_payment_outside_a_transaction_leaves_nothing_behind(world):
    """Outside any transaction (as in a web request) a payment is one statement on PostgreSQL, its
    own transaction: a refusal inside it (an unknown or closed account) keeps neither the key's
    claim nor a receipt number, and the same key then takes the corrected payment."""
    from merezha.core.models import IdempotencyKey
    from merezha.payments.services import PaymentError

    assert not connection.in_atomic_block
    args = {
        "cashier": world.cashiers[0],
        "point": world.points[0],
        "method": "card",
        "tendered": None,
        "now": at("2026-11-02", 9),
    }
    water = PaymentLineIn(account_id=world.accounts["water"].pk, amount=Money.parse("5.00"))
    payment_create(**args, lines=[water], idempotency_key="first")  # opens the day
    with pytest.raises(PaymentError, match=r"^unknown account 999999$"):
        payment_create(
            **args,
            lines=[water, PaymentLineIn(account_id=999_999, amount=Money(100))],
            idempotency_key="again",
        )
    world.accounts["heat"].is_active = False
    world.accounts["heat"].save(update_fields=["is_active"])
    with pytest.raises(PaymentError, match=r"^account H-7 is no longer active at its provider$"):
        payment_create(
            **args,
            lines=[water, PaymentLineIn(account_id=world.accounts["heat"].pk, amount=Money(100))],
            idempotency_key="again",
        )
    assert sorted(IdempotencyKey.objects.values_list("key", flat=True)) == ["first"]
    assert OperationalDay.objects.get().receipt_counter == 1
    res = payment_create(**args, lines=[water], idempotency_key="again")
    assert (res.created, res.payment.receipt) == (True, "P-01-20261102-2")
    assert Payment.objects.count() == 2 and PaymentLine.objects.count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_payment_does_not_wait_for_the_locks_on_its_organisations(world):
    """A day close or a snapshot import holds its organisations' rows (`organisations.locks`); a
    payment to that provider at that point commits meanwhile, its foreign keys checked."""
    import threading

    from django.db import connections, transaction

    from merezha.organisations.locks import organisations_lock

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writer (one database lock): row locks are PostgreSQL's")
    locked, paid = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def hold() -> None:
        try:
            with transaction.atomic():
                organisations_lock(organisation_ids=[world.providers["water"].pk, world.points[0].pk])
                locked.set()
                seen["paid while locked"] = paid.wait(timeout=5)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(timeout=10)
    try:
        result = payment_create(
            cashier=world.cashiers[0],
            point=world.points[0],
            lines=[PaymentLineIn(account_id=world.accounts["water"].pk, amount=Money(500))],
            method="card",
            tendered=None,
            idempotency_key="while-locked",
            now=at("2026-11-02", 9),
        )
    finally:
        paid.set()
        holder.join(timeout=10)
    assert result.created and result.payment.receipt == "P-01-20261102-1"
    assert seen == {"paid while locked": True}
