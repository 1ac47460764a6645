"""The payments API: idempotent creation, scope to the cashier's point, cancellation, dwelling debts."""

from __future__ import annotations

import json

import pytest

from merezha.core.models import AuditEntry
from merezha.core.roles import Role
from merezha.organisations.services import api_token_create
from merezha.payments.models import Payment

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
    assert client.get(url, headers=bearer(make_user(Role.SUBSIDY))).status_code == 200
    assert client.get(url, headers=bearer(make_user(Role.ADMIN))).status_code == 200
    assert client.get(url, headers=bearer(make_user(Role.PROVIDER))).status_code == 403
    assert client.get(url, headers=bearer(make_user(Role.HOUSING))).status_code == 403
    assert (
        client.get("/api/v1/dwellings/999999/accounts", headers=bearer(world.cashiers[0])).status_code == 404
    )
