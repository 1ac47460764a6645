"""The payments API: idempotent creation, scope to the cashier's point, cancellation, dwelling debts."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from django.db import connection

from merezha.core.models import AuditEntry
from merezha.core.money import Money
from merezha.core.roles import Role
from merezha.organisations.services import api_token_create
from merezha.payments.models import Cancellation, Payment
from merezha.payments.services import PaymentLineIn, payment_create
from tests.concurrency import at_once
from tests.idempotency import CONFLICT, CONTROL, TOO_LONG, assert_replayed, kept

pytestmark = pytest.mark.django_db


def bearer(user, key: str | None = None):
    headers = {"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"}
    if key:
        headers["Idempotency-Key"] = key
    return headers


def post(client, url, body, headers):
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def body(world, water="100.00", heat="50.50", method="cash", tendered="200"):
    return {
        "lines": [
            {"account_id": world.accounts["water"].pk, "amount": water},
            {"account_id": world.accounts["heat"].pk, "amount": heat},
        ],
        "method": method,
        "tendered": tendered,
    }


def test_create_replay_and_conflict(client, world):
    cashier = world.cashiers[0]
    r1 = post(client, "/api/v1/payments", body(world), bearer(cashier, "key-1"))
    assert r1.status_code == 201, r1.content
    data = r1.json()
    assert (data["total"], data["change"], data["point"], data["cancelled"]) == (
        "150.50",
        "49.50",
        "P-01",
        False,
    )
    assert [(line["service"], line["amount"]) for line in data["lines"]] == [
        ("water", "100.00"),
        ("heat", "50.50"),
    ]
    r2 = post(client, "/api/v1/payments", body(world), bearer(cashier, "key-1"))
    assert r2.status_code == 200 and r2.json()["receipt"] == data["receipt"] and r2.json()["id"] == data["id"]
    r3 = post(client, "/api/v1/payments", body(world, water="99.00"), bearer(cashier, "key-1"))
    assert r3.status_code == 409
    assert Payment.objects.count() == 1


def test_key_is_required_and_bad_input_is_422(client, world):
    cashier = world.cashiers[0]
    r = post(client, "/api/v1/payments", body(world), bearer(cashier))
    assert (r.status_code, r.json()["detail"]) == (422, "the Idempotency-Key header is required")
    r = post(client, "/api/v1/payments", body(world, water="abc"), bearer(cashier, "k"))
    assert (r.status_code, r.json()["detail"]) == (422, "line 1: amount: not an amount: 'abc'")
    r = post(client, "/api/v1/payments", body(world, water="0"), bearer(cashier, "k"))
    assert (r.status_code, r.json()["detail"]) == (422, "line 1: amount must be positive, got 0.00")
    r = post(client, "/api/v1/payments", body(world, tendered="100"), bearer(cashier, "k"))
    assert (r.status_code, r.json()["detail"]) == (422, "cash tendered 100.00 is less than the total 150.50")
    r = post(client, "/api/v1/payments", {"lines": "x"}, bearer(cashier, "k"))
    assert r.status_code == 422
    assert Payment.objects.count() == 0


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.SUBSIDY, Role.ADMIN, Role.HOUSING, Role.MANAGER])
def test_only_cashiers_take_payments(client, world, make_user, role):
    r = post(client, "/api/v1/payments", body(world), bearer(make_user(role), "k"))
    assert r.status_code == 403


def test_other_points_payment_is_404(client, world):
    data = post(client, "/api/v1/payments", body(world), bearer(world.cashiers[0], "k")).json()
    assert client.get(f"/api/v1/payments/{data['id']}", headers=bearer(world.cashiers[0])).status_code == 200
    assert client.get(f"/api/v1/payments/{data['id']}", headers=bearer(world.cashiers[1])).status_code == 404
    assert client.get("/api/v1/payments/not-a-uuid", headers=bearer(world.cashiers[0])).status_code == 404
    r = post(client, f"/api/v1/payments/{data['id']}/cancel", {"reason": "x"}, bearer(world.cashiers[1]))
    assert r.status_code == 404


def test_cancel_through_the_api(client, world):
    cashier = world.cashiers[0]
    data = post(client, "/api/v1/payments", body(world), bearer(cashier, "k")).json()
    url = f"/api/v1/payments/{data['id']}/cancel"
    r = post(client, url, {"reason": ""}, bearer(cashier))
    assert (r.status_code, r.json()["detail"]) == (422, "a reason is required to cancel a payment")
    r = post(client, url, {"reason": "wrong amount"}, bearer(cashier))
    assert r.status_code == 200 and r.json()["cancelled"] and r.json()["cancel_reason"] == "wrong amount"
    r = post(client, url, {"reason": "again"}, bearer(cashier))
    assert r.status_code == 409 and "already cancelled" in r.json()["detail"]


def test_dwelling_accounts(client, world, make_user):
    post(client, "/api/v1/payments", body(world), bearer(world.cashiers[0], "k"))
    url = f"/api/v1/dwellings/{world.dwelling.pk}/accounts"
    data = client.get(url, headers=bearer(world.cashiers[1])).json()
    assert [
        (d["provider"], d["service"], d["account"], d["closing"], d["paid_since"], d["debt"]) for d in data
    ] == [
        ("heat", "heat", "H-7", "1830.15", "50.50", "1779.65"),
        ("water", "sewer", "W-100", "120.00", "0.00", "120.00"),
        ("water", "water", "W-100", "250.40", "100.00", "150.40"),
    ]
    assert data[0]["as_of"] == "2026-10-31" and data[0]["period"] == "2026-10"
    assert (
        AuditEntry.objects.filter(action="dwelling.accounts", object_id=str(world.dwelling.pk)).count() == 1
    )
    entry = AuditEntry.objects.get(action="dwelling.accounts")
    assert (entry.user, entry.channel, entry.detail) == (world.cashiers[1], "api", {"accounts": 3})
    assert list(entry.subjects.values_list("kind", "object_id")) == [("dwelling", world.dwelling.pk)]
    assert client.get(url, headers=bearer(make_user(Role.SUBSIDY))).status_code == 200
    assert client.get(url, headers=bearer(make_user(Role.ADMIN))).status_code == 200
    assert client.get(url, headers=bearer(make_user(Role.PROVIDER))).status_code == 403
    assert client.get(url, headers=bearer(make_user(Role.HOUSING))).status_code == 403
    # every look-up is logged, the information centre's too; a refused one reads nothing
    assert [e.user.role for e in AuditEntry.objects.filter(action="dwelling.accounts").order_by("id")] == [
        Role.CASHIER,
        Role.SUBSIDY,
        Role.ADMIN,
    ]
    assert (
        client.get("/api/v1/dwellings/999999/accounts", headers=bearer(world.cashiers[0])).status_code == 404
    )


# --- Idempotency-Key on the cancellation ---------------------------------------------------------


def cancel(client, world, payment_id, reason, key=None, point=0):
    url = f"/api/v1/payments/{payment_id}/cancel"
    return post(client, url, {"reason": reason}, bearer(world.cashiers[point], key))


def test_cancel_retry_with_the_key_returns_the_first_answer(client, world):
    first_payment = post(client, "/api/v1/payments", body(world), bearer(world.cashiers[0], "p-1")).json()
    other_payment = post(client, "/api/v1/payments", body(world), bearer(world.cashiers[0], "p-2")).json()
    first = cancel(client, world, first_payment["id"], "wrong amount", "c-1")
    assert first.status_code == 200
    assert {k: first.json()[k] for k in ("id", "receipt", "cancelled", "cancel_reason")} == {
        "id": first_payment["id"],
        "receipt": first_payment["receipt"],
        "cancelled": True,
        "cancel_reason": "wrong amount",
    }
    again = cancel(client, world, first_payment["id"], "wrong amount", "c-1")
    assert_replayed(first, again)
    assert Cancellation.objects.count() == 1
    assert AuditEntry.objects.filter(action="payment.cancel").count() == 1
    # the same key with another reason, or for another payment: 409, nothing cancelled
    r = cancel(client, world, first_payment["id"], "typo", "c-1")
    assert (r.status_code, r.json()) == (409, CONFLICT)
    r = cancel(client, world, other_payment["id"], "wrong amount", "c-1")
    assert (r.status_code, r.json()) == (409, CONFLICT)
    assert Cancellation.objects.count() == 1
    # without a key, as before: a second cancellation is refused
    r = cancel(client, world, first_payment["id"], "wrong amount")
    assert (r.status_code, r.json()["detail"]) == (
        409,
        f"payment {first_payment['receipt']} is already cancelled",
    )
    point = world.points[0].pk
    assert kept("payment-cancel") == [(f"payment-cancel:{point}", "c-1", 200)]


def test_cancel_refused_keeps_no_key(client, world):
    payment = post(client, "/api/v1/payments", body(world), bearer(world.cashiers[0], "p-1")).json()
    r = cancel(client, world, payment["id"], "  ", "c-1")
    assert (r.status_code, r.json()) == (422, {"detail": "a reason is required to cancel a payment"})
    r = cancel(client, world, "00000000-0000-0000-0000-000000000000", "x", "c-1")
    assert (r.status_code, r.json()) == (404, {"detail": "no such payment at this point"})
    assert kept("payment-cancel") == [] and Cancellation.objects.count() == 0
    r = cancel(client, world, payment["id"], "wrong amount", "c-1")
    assert (r.status_code, r.json()["cancel_reason"]) == (200, "wrong amount")
    assert Cancellation.objects.count() == 1
    # a cancellation refused as "already cancelled" under a new key keeps that key free too
    r = cancel(client, world, payment["id"], "wrong amount", "c-2")
    assert r.status_code == 409 and r.json()["detail"].endswith("is already cancelled")
    assert [key for _scope, key, _status in kept("payment-cancel")] == ["c-1"]


def test_cancel_keys_of_two_points_are_independent(client, world):
    mine = post(client, "/api/v1/payments", body(world), bearer(world.cashiers[0], "p-1")).json()
    theirs = post(client, "/api/v1/payments", body(world), bearer(world.cashiers[1], "p-1")).json()
    a = cancel(client, world, mine["id"], "wrong amount", "same", point=0)
    b = cancel(client, world, theirs["id"], "wrong payer", "same", point=1)
    assert (a.status_code, a.json()["id"], a.json()["cancel_reason"]) == (200, mine["id"], "wrong amount")
    assert (b.status_code, b.json()["id"], b.json()["cancel_reason"]) == (200, theirs["id"], "wrong payer")
    assert Cancellation.objects.count() == 2
    assert [scope for scope, _key, _status in kept("payment-cancel")] == sorted(
        [f"payment-cancel:{world.points[0].pk}", f"payment-cancel:{world.points[1].pk}"]
    )


def test_cancel_key_of_129_characters_or_with_control_characters_is_refused(client, world):
    payment = post(client, "/api/v1/payments", body(world), bearer(world.cashiers[0], "p-1")).json()
    r = cancel(client, world, payment["id"], "wrong amount", "k" * 129)
    assert (r.status_code, r.json()) == (422, TOO_LONG)
    r = cancel(client, world, payment["id"], "wrong amount", "k\x00")
    assert (r.status_code, r.json()) == (422, CONTROL)
    assert Cancellation.objects.count() == 0
    r = cancel(client, world, payment["id"], "wrong amount", "k" * 128)
    assert r.status_code == 200 and Cancellation.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_cancel_retries_over_http_cancel_once(world, live_server):
    """A cashier's client times out and retries the cancellation several times at once: one
    cancellation, and every answer is the first one."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite serialises every writer (one database lock): real concurrency is tested on PostgreSQL"
        )
    payment = payment_create(
        cashier=world.cashiers[0],
        point=world.points[0],
        lines=[PaymentLineIn(account_id=world.accounts["water"].pk, amount=Money.parse("12.34"))],
        method="card",
        tendered=None,
        idempotency_key="p-1",
    ).payment
    token = api_token_create(user=world.cashiers[0], name="t")[1]
    n = 6

    def retry(_: int) -> tuple[int, bytes]:
        req = urllib.request.Request(
            f"{live_server.url}/api/v1/payments/{payment.pk}/cancel",
            data=json.dumps({"reason": "wrong amount"}).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": "cancel-retry",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    answers = at_once(n, retry)
    assert len(answers) == n and not [a for a in answers if isinstance(a, Exception)], answers
    assert {status for status, _ in answers} == {200}, answers  # type: ignore[misc]
    assert len({content for _, content in answers}) == 1  # type: ignore[misc]
    assert json.loads(answers[0][1])["cancel_reason"] == "wrong amount"
    assert Cancellation.objects.count() == 1
