"""merezha.api_auth: bearer tokens, and refused tokens throttled per client address (429, Retry-After)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from merezha.core.roles import Role
from merezha.organisations.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def me(token: str, address: str = "10.0.0.1", **extra: str):
    return Client().get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token}"}, REMOTE_ADDR=address, **extra
    )


def test_the_limit_of_refused_tokens_answers_429_with_retry_after(make_user, settings):
    assert (settings.API_TOKEN_FAILURE_LIMIT, settings.API_TOKEN_FAILURE_WINDOW) == (20, 300)
    plain = api_token_create(user=make_user(Role.PROVIDER), name="t")[1]
    assert [me(f"mz_guess{n}").status_code for n in range(21)] == [401] * 20 + [429]
    throttled = me(plain)  # a valid token too: a guess must not be told from a refusal
    assert (throttled.status_code, throttled.json()["detail"][:51]) == (
        429,
        "too many refused tokens from your address: try agai",
    )
    assert 295 <= int(throttled["Retry-After"]) <= 300
    assert me(plain, address="10.0.0.2").status_code == 200  # another address is not throttled


def test_the_window_ends(make_user, settings, monkeypatch):
    import time

    settings.API_TOKEN_FAILURE_LIMIT = 3
    plain = api_token_create(user=make_user(Role.PROVIDER), name="t")[1]
    assert [me("bad").status_code for _ in range(4)] == [401, 401, 401, 429]
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 301)
    cache.delete("api-token-failures:10.0.0.1")  # the cache expires the count with the window
    assert me(plain).status_code == 200


def test_valid_tokens_and_missing_ones_are_not_counted(make_user, settings):
    settings.API_TOKEN_FAILURE_LIMIT = 3
    plain = api_token_create(user=make_user(Role.PROVIDER), name="t")[1]
    for _ in range(5):
        assert me(plain).status_code == 200
        assert Client().get("/api/v1/me", REMOTE_ADDR="10.0.0.1").status_code == 401
    assert me("bad").status_code == 401


def test_behind_a_proxy_the_forwarded_address_counts(make_user, settings):
    settings.API_TOKEN_FAILURE_LIMIT = 2
    settings.TRUSTED_PROXY_COUNT = 1
    forwarded = {"HTTP_X_FORWARDED_FOR": "192.0.2.7"}
    assert [me("bad", address="10.9.9.9", **forwarded).status_code for _ in range(3)] == [401, 401, 429]
    other = {"HTTP_X_FORWARDED_FOR": "192.0.2.8"}
    assert me("bad", address="10.9.9.9", **other).status_code == 401
