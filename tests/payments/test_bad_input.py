"""No 500 for any input: out-of-range ids and odd bodies answer 4xx."""

from __future__ import annotations

import json

import pytest

from merezha.core.roles import Role
from merezha.organisations.services import api_token_create

pytestmark = pytest.mark.django_db
HUGE = 10**20


def bearer(user, key=None):
    h = {"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"}
    if key:
        h["Idempotency-Key"] = key
    return h


def test_out_of_range_ids(client, world, make_user):
    cashier = world.cashiers[0]
    body = {"lines": [{"account_id": HUGE, "amount": "1"}], "method": "card"}
    r = client.post(
        "/api/v1/payments", json.dumps(body), content_type="application/json", headers=bearer(cashier, "k")
    )
    assert r.status_code == 422 and r.json()["detail"] == f"unknown account {HUGE}"
    body = {"lines": [{"account_id": -5, "amount": "1"}], "method": "card"}
    r = client.post(
        "/api/v1/payments", json.dumps(body), content_type="application/json", headers=bearer(cashier, "k2")
    )
    assert r.status_code == 422 and r.json()["detail"] == "unknown account -5"
    assert client.get(f"/api/v1/dwellings/{HUGE}/accounts", headers=bearer(cashier)).status_code == 404
    provider = make_user(Role.PROVIDER, organisation=world.providers["water"])
    assert client.get(f"/api/v1/registers/{HUGE}", headers=bearer(provider)).status_code == 404
    assert (
        client.get(f"/api/v1/registers/{HUGE}/file?format=csv", headers=bearer(provider)).status_code == 404
    )
    assert client.post(f"/api/v1/registers/{HUGE}/acknowledge", headers=bearer(provider)).status_code == 404
    assert client.get(f"/api/v1/registers?since_number={HUGE}", headers=bearer(provider)).json() == []


def test_long_key_and_amounts(client, world):
    cashier = world.cashiers[0]
    body = {"lines": [{"account_id": world.accounts["water"].pk, "amount": "1"}], "method": "card"}
    r = client.post(
        "/api/v1/payments",
        json.dumps(body),
        content_type="application/json",
        headers=bearer(cashier, "k" * 129),
    )
    assert (r.status_code, r.json()["detail"]) == (
        422,
        "the Idempotency-Key header is 129 characters long: it must be 1 to 128 characters",
    )
    for bad in ("k\x00", "k\x1b[0m"):  # PostgreSQL cannot store a NUL: refused, not a 500
        r = client.post(
            "/api/v1/payments",
            json.dumps(body),
            content_type="application/json",
            headers=bearer(cashier, bad),
        )
        assert (r.status_code, r.json()["detail"]) == (
            422,
            "the Idempotency-Key header must hold printable ASCII characters only (space to ~)",
        )
    body["lines"][0]["amount"] = "1e30"
    r = client.post(
        "/api/v1/payments", json.dumps(body), content_type="application/json", headers=bearer(cashier, "k")
    )
    assert r.status_code == 422
    body["lines"][0]["amount"] = "10000000.01"
    r = client.post(
        "/api/v1/payments", json.dumps(body), content_type="application/json", headers=bearer(cashier, "k")
    )
    assert r.status_code == 422 and "over the limit" in r.json()["detail"]


def test_cancel_reason_with_a_nul_character_is_a_clear_422(client, world):
    cashier = world.cashiers[0]
    body = {"lines": [{"account_id": world.accounts["water"].pk, "amount": "1"}], "method": "card"}
    payment = client.post(
        "/api/v1/payments", json.dumps(body), content_type="application/json", headers=bearer(cashier, "k")
    ).json()
    for key in (None, "c-1"):
        r = client.post(
            f"/api/v1/payments/{payment['id']}/cancel",
            json.dumps({"reason": "wrong\x00amount"}),
            content_type="application/json",
            headers=bearer(cashier, key),
        )
        assert (r.status_code, r.json()) == (422, {"detail": "the reason must not contain a NUL character"})
    r = client.post(
        f"/api/v1/payments/{payment['id']}/cancel",
        json.dumps({"reason": "wrong amount"}),
        content_type="application/json",
        headers=bearer(cashier, "c-1"),
    )
    assert (r.status_code, r.json()["cancel_reason"]) == (200, "wrong amount")
