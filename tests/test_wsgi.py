"""The WSGI application: /api/… through the API's own middleware, the rest through the site's."""

from __future__ import annotations

import io
import json
import sys

import pytest

from merezha import wsgi
from merezha.core.roles import Role
from merezha.organisations.services import api_token_create, api_token_revoke
from merezha.payments.models import Payment
from tests.payments.conftest import world  # noqa: F401 - the money loop's fixture
from tests.servers import granian

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_the_test_connection")]


def call(
    method: str,
    path: str,
    body: dict | None = None,
    *,
    raw: bytes | None = None,
    content_type: str = "application/json",
    **headers: str,
) -> tuple[int, dict, bytes]:
    """One request through merezha.wsgi.application: `body` as JSON, or `raw` bytes."""
    data = raw if raw is not None else b"" if body is None else json.dumps(body).encode()
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(data)),
        "CONTENT_TYPE": content_type,
        **{"HTTP_" + k.upper(): v for k, v in headers.items()},
    }
    seen: dict = {}

    def start_response(status: str, response_headers: list, exc_info=None) -> None:
        seen["status"] = int(status.split()[0])
        seen["headers"] = dict(response_headers)

    result = wsgi.application(environ, start_response)
    try:
        content = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    return seen["status"], seen["headers"], content


def test_the_api_has_its_own_middleware():
    assert [type(m).__name__ for m in [wsgi.api_application, wsgi.site_application]] == [
        "ApiHandler",
        "WSGIHandler",
    ]
    status, headers, content = call("GET", "/api/v1/openapi.json")
    assert status == 200 and json.loads(content)["info"]["title"] == "Merezha API"
    assert "Set-Cookie" not in headers  # no session, no CSRF cookie
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Language"] == "en"  # settings.LANGUAGE_CODE (tests run in English)


def test_the_site_keeps_its_middleware():
    status, headers, content = call("GET", "/login/")
    assert status == 200 and b"csrfmiddlewaretoken" in content
    assert "csrftoken=" in headers["Set-Cookie"]
    assert headers["X-Frame-Options"] == "DENY"


def test_tokens_are_checked_as_before(make_user):
    user = make_user(Role.PROVIDER)
    token, plain = api_token_create(user=user, name="t")
    assert call("GET", "/api/v1/me")[0] == 401
    assert call("GET", "/api/v1/me", authorization="Bearer nope")[0] == 401
    status, _, content = call("GET", "/api/v1/me", authorization=f"Bearer {plain}")
    assert (status, json.loads(content)["username"]) == (200, user.username)
    api_token_revoke(token=token)
    assert call("GET", "/api/v1/me", authorization=f"Bearer {plain}")[0] == 401
    other = api_token_create(user=make_user(Role.PROVIDER), name="t")[1]
    assert call("GET", "/api/v1/payments/x", authorization=f"Bearer {other}")[0] == 403


def test_a_payment_through_the_api_handler(world):  # noqa: F811
    plain = api_token_create(user=world.cashiers[0], name="t")[1]
    body = {"lines": [{"account_id": world.accounts["water"].pk, "amount": "12.34"}], "method": "card"}
    auth = {"authorization": f"Bearer {plain}", "idempotency_key": "wsgi-1"}
    status, _, content = call("POST", "/api/v1/payments", body, **auth)
    first = json.loads(content)
    assert (status, first["total"], first["lines"][0]["account"]) == (201, "12.34", "W-100")
    status, _, content = call("POST", "/api/v1/payments", body, **auth)
    assert (status, json.loads(content)["receipt"]) == (200, first["receipt"])
    other = {"lines": [{"account_id": world.accounts["water"].pk, "amount": "1.00"}], "method": "card"}
    assert call("POST", "/api/v1/payments", other, **auth)[0] == 409
    bad = {"lines": [{"account_id": world.accounts["water"].pk, "amount": "-1"}], "method": "card"}
    assert (
        call("POST", "/api/v1/payments", bad, authorization=f"Bearer {plain}", idempotency_key="w2")[0] == 422
    )
    assert Payment.objects.count() == 1


def test_the_production_server_serves_the_application(tmp_path):
    """docs/how-to/deploy.md's command: granian runs merezha.wsgi:application (WSGI, threads), on a
    migrated embedded database, and keeps the connection alive between requests."""
    with granian(tmp_path) as server:
        conn = server.connection()
        conn.request("GET", "/api/v1/openapi.json")
        resp = conn.getresponse()
        assert (resp.status, json.loads(resp.read())["info"]["title"]) == (200, "Merezha API")
        sock = conn.sock
        conn.request("GET", "/api/v1/me", headers={"Authorization": "Bearer nope"})  # a token look-up
        resp = conn.getresponse()
        assert (resp.status, json.loads(resp.read())) == (401, {"detail": "Unauthorized"})
        conn.request("GET", "/login/")
        resp = conn.getresponse()
        assert resp.status == 200 and b"csrfmiddlewaretoken" in resp.read()
        assert conn.sock is sock  # one connection for the three requests
        conn.close()
