"""API tokens of every organisation kind, issued as docs/reference/tokens.md says, used as the
how-tos' curl steps use them: each works on its role's routes, and only there; an expired, revoked
or rotated-away token answers 401."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from merezha.core.roles import Role
from merezha.organisations.models import ApiToken
from merezha.organisations.services import api_token_create, api_token_rotate
from tests.payments.conftest import world  # noqa: F401, F811  (two providers, accounts, two points)

pytestmark = pytest.mark.django_db


def auth(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


def token_for(user) -> str:
    return api_token_create(user=user, name="system", expires_at=timezone.now() + dt.timedelta(days=365))[1]


def test_cashier_pos_system_token(client, world):  # noqa: F811
    plain = token_for(world.cashiers[0])
    account = world.accounts["water"]
    r = client.get(f"/api/v1/dwellings/{account.dwelling_id}/accounts", headers=auth(plain))
    assert r.status_code == 200 and {a["account"] for a in r.json()} == {"W-100", "H-7"}
    r = client.post(
        "/api/v1/payments",
        {"lines": [{"account_id": account.pk, "amount": "100.00"}], "method": "card"},
        content_type="application/json",
        headers=auth(plain) | {"Idempotency-Key": "pos-0001"},
    )
    assert r.status_code == 201 and r.json()["total"] == "100.00"
    for path in (
        "/api/v1/snapshots",
        "/api/v1/subsidy/batch-checks",
        "/api/v1/registers",
        "/api/v1/change-reports",
    ):
        assert client.get(path, headers=auth(plain)).status_code == 403, path


def test_housing_office_token(client, make_user, sample_streets, samples):
    plain = token_for(make_user(Role.HOUSING))
    with open(samples / "registry-ZHEK-01.csv", "rb") as fh:
        r = client.post(
            "/api/v1/registry/uploads",
            {"file": fh},
            headers=auth(plain) | {"Idempotency-Key": "zhek-01-2026-11"},
        )
    assert r.status_code == 200 and r.json()["rows_applied"] == 136
    for path in ("/api/v1/search?q=x", "/api/v1/snapshots", "/api/v1/subsidy/batch-checks"):
        assert client.get(path, headers=auth(plain)).status_code == 403, path


def test_subsidy_office_token(client, make_user):
    plain = token_for(make_user(Role.SUBSIDY))
    assert client.get("/api/v1/subsidy/batch-checks", headers=auth(plain)).json() == []
    r = client.get("/api/v1/subsidy/debt-status?tax_id=1234567899&date=2026-11-15", headers=auth(plain))
    assert r.status_code == 404, r.content  # the route answers the officer: nobody with this tax id
    for path in ("/api/v1/search?q=x", "/api/v1/snapshots", "/api/v1/registers"):
        assert client.get(path, headers=auth(plain)).status_code == 403, path


def test_provider_token(client, make_user, samples):
    plain = token_for(make_user(Role.PROVIDER))
    with open(samples / "snapshot-water-2026-10.csv", "rb") as fh:
        r = client.post(
            "/api/v1/snapshots",
            {"file": fh, "period": "2026-10", "payments_through": "2026-10-31"},
            headers=auth(plain) | {"Idempotency-Key": "water-2026-10-v1"},
        )
    assert r.status_code == 202 and r.json()["status"] == "pending", r.content  # the worker applies it
    assert len(client.get("/api/v1/snapshots", headers=auth(plain)).json()) == 1
    assert client.get("/api/v1/registers", headers=auth(plain)).json() == []
    for path in ("/api/v1/search?q=x", "/api/v1/subsidy/batch-checks"):
        assert client.get(path, headers=auth(plain)).status_code == 403, path


def test_expired_revoked_and_rotated_tokens_answer_401(client, make_user):
    user = make_user(Role.PROVIDER)
    token, plain = api_token_create(user=user, name="x", expires_at=timezone.now() + dt.timedelta(hours=1))
    assert client.get("/api/v1/me", headers=auth(plain)).status_code == 200
    assert ApiToken.objects.get().last_used_at is not None
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/api/v1/me", headers=auth(plain)).status_code == 401
    ApiToken.objects.update(expires_at=timezone.now() + dt.timedelta(hours=1))
    _new, new_plain = api_token_rotate(token=token)
    assert client.get("/api/v1/me", headers=auth(plain)).status_code == 401
    assert client.get("/api/v1/me", headers=auth(new_plain)).status_code == 200
