"""The API: token auth, the schema, and the registry routes' permissions."""

import pytest

from merezha.core.roles import Role
from merezha.organisations.services import api_token_create

pytestmark = pytest.mark.django_db


def bearer(user):
    return {"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"}


def test_schema_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Merezha API"


def test_me_needs_a_token(client, make_user):
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    user = make_user(Role.PROVIDER)
    data = client.get("/api/v1/me", headers=bearer(user)).json()
    assert data == {
        "username": user.username,
        "role": "provider",
        "organisation": user.organisation.code,
        "organisation_kind": "provider",
    }


def test_match_route(client, make_user, sample_streets):
    assert (
        client.get(
            "/api/v1/registry/match?street=x&house=1", headers=bearer(make_user(Role.CASHIER))
        ).status_code
        == 403
    )
    data = client.get(
        "/api/v1/registry/match?street=Комсомольська&house=1", headers=bearer(make_user(Role.SUBSIDY))
    ).json()
    assert data["status"] == "unmatched" and "no house 1" in data["reason"]


def test_registry_upload_only_for_housing(client, make_user, sample_streets, samples):
    with open(samples / "registry-bad.csv", "rb") as fh:
        r = client.post("/api/v1/registry/uploads", {"file": fh}, headers=bearer(make_user(Role.PROVIDER)))
    assert r.status_code == 403
    clerk = make_user(Role.HOUSING)
    with open(samples / "registry-bad.csv", "rb") as fh:
        r = client.post("/api/v1/registry/uploads", {"file": fh}, headers=bearer(clerk))
    assert r.status_code == 422
    assert [(e["line"], e["column"]) for e in r.json()["errors"]] == [(2, "tax_id"), (3, "street")]
    with open(samples / "registry-ZHEK-01.csv", "rb") as fh:
        r = client.post("/api/v1/registry/uploads", {"file": fh}, headers=bearer(clerk))
    assert r.status_code == 200 and r.json()["rows_applied"] == 136
