"""The API's hot routes (merezha.api_hot): through the real WSGI application, a hot answer is the
route's answer, and every request the hot path does not take gets the route's answer unchanged."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from merezha.organisations.services import api_token_create
from merezha.payments.models import Payment
from tests.concurrency import at_once
from tests.payments.conftest import world  # noqa: F401 - the money loop's fixture
from tests.test_wsgi import call

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_the_test_connection")]


def _pay(body: dict, **headers: str) -> tuple[int, dict, dict, list[str]]:
    """POST /api/v1/payments: status, headers, JSON body and the statements it ran."""
    with CaptureQueriesContext(connection) as queries:
        status, out_headers, content = call("POST", "/api/v1/payments", body, **headers)
    return status, out_headers, json.loads(content), [q["sql"] for q in queries.captured_queries]


def _took_the_hot_path(statements: list[str]) -> bool:
    return any("merezha_cashier_payment_take(" in sql for sql in statements)


def test_a_hot_answer_is_the_routes_answer(world, settings):  # noqa: F811
    plain = api_token_create(user=world.cashiers[0], name="desk")[1]
    auth = {"authorization": f"Bearer {plain}"}
    water, heat = world.accounts["water"].pk, world.accounts["heat"].pk
    first = _pay(
        {"lines": [{"account_id": water, "amount": "1.00"}], "method": "card"}, **auth, idempotency_key="a"
    )
    assert first[0] == 201  # the day's first payment opens the day: the hot path steps aside for it

    body = {
        "lines": [{"account_id": heat, "amount": "300"}, {"account_id": water, "amount": "12.34"}],
        "method": "cash",
        "tendered": "400",
    }
    hot_status, hot_headers, hot, statements = _pay(body, **auth, idempotency_key="b")
    settings.API_HOT_ROUTES = False
    route_status, route_headers, route, route_statements = _pay(body, **auth, idempotency_key="c")
    assert not _took_the_hot_path(route_statements)
    if connection.vendor == "postgresql":
        assert _took_the_hot_path(statements)
        assert [sql.split()[0] for sql in statements] == ["SAVEPOINT", "SELECT", "RELEASE"]
    else:
        assert not _took_the_hot_path(statements)  # SQLite: the route always
    assert hot_status == route_status == 201
    assert hot_headers == route_headers
    assert hot_headers["Content-Type"] == "application/json; charset=utf-8"
    today = timezone.localdate()
    assert (hot.pop("receipt"), route.pop("receipt")) == (f"P-01-{today:%Y%m%d}-2", f"P-01-{today:%Y%m%d}-3")
    for payment in (hot, route):
        assert Payment.objects.get(pk=payment.pop("id")).receipt.startswith("P-01-")
        assert payment.pop("accepted_at")[:10] == payment["operational_day"]
    assert (
        hot
        == route
        == {
            "point": "P-01",
            "cashier": world.cashiers[0].username,
            "operational_day": today.isoformat(),
            "method": "cash",
            "total": "312.34",
            "tendered": "400.00",
            "change": "87.66",
            "lines": [
                {
                    "account_id": heat,
                    "provider": "heat",
                    "service": "heat",
                    "account": "H-7",
                    "amount": "300.00",
                },
                {
                    "account_id": water,
                    "provider": "water",
                    "service": "water",
                    "account": "W-100",
                    "amount": "12.34",
                },
            ],
            "cancelled": False,
            "cancel_reason": None,
        }
    )


def _cases(world, plain: str, provider_plain: str) -> dict[str, tuple[dict, dict]]:  # noqa: F811
    water = world.accounts["water"].pk
    ok = {"lines": [{"account_id": water, "amount": "5.00"}], "method": "card"}
    auth = {"authorization": f"Bearer {plain}", "idempotency_key": "next"}
    return {
        "no token": (ok, {"idempotency_key": "next"}),
        "unknown token": (ok, {**auth, "authorization": "Bearer mz_nobody"}),
        "another scheme": (ok, {**auth, "authorization": f"Token {plain}"}),
        "a provider's token": (ok, {**auth, "authorization": f"Bearer {provider_plain}"}),
        "replay": (
            {"lines": [{"account_id": water, "amount": "1.00"}], "method": "card"},
            {**auth, "idempotency_key": "a"},
        ),
        "conflict": (ok, {**auth, "idempotency_key": "a"}),
        "no key": (ok, {"authorization": f"Bearer {plain}"}),
        "negative amount": ({"lines": [{"account_id": water, "amount": "-5"}], "method": "card"}, auth),
        "three decimals": ({"lines": [{"account_id": water, "amount": "5.001"}], "method": "card"}, auth),
        "unknown account": ({"lines": [{"account_id": 999_999, "amount": "5"}], "method": "card"}, auth),
        "unknown method": ({**ok, "method": "barter"}, auth),
        "no lines": ({"lines": [], "method": "card"}, auth),
        "amount as a number": ({"lines": [{"account_id": water, "amount": 5}], "method": "card"}, auth),
        "lines missing": ({"method": "card"}, auth),
    }


@pytest.mark.parametrize(
    "case",
    [
        "no token",
        "unknown token",
        "another scheme",
        "a provider's token",
        "replay",
        "conflict",
        "no key",
        "negative amount",
        "three decimals",
        "unknown account",
        "unknown method",
        "no lines",
        "amount as a number",
        "lines missing",
    ],
)
def test_what_the_hot_path_does_not_take_gets_the_routes_answer(world, settings, make_user, case):  # noqa: F811
    plain = api_token_create(user=world.cashiers[0], name="desk")[1]
    provider_plain = api_token_create(
        user=make_user("provider", organisation=world.providers["water"]), name="p"
    )[1]
    first = {"lines": [{"account_id": world.accounts["water"].pk, "amount": "1.00"}], "method": "card"}
    assert _pay(first, authorization=f"Bearer {plain}", idempotency_key="a")[0] == 201
    body, headers = _cases(world, plain, provider_plain)[case]
    answers = []
    for hot in (True, False):
        settings.API_HOT_ROUTES = hot
        with transaction.atomic():  # each answer on the same database, then rolled back
            status, out_headers, out, _ = _pay(body, **headers)
            answers.append((status, out_headers, out, Payment.objects.count()))
            transaction.set_rollback(True)
    assert answers[0] == answers[1]
    assert answers[0][0] != 201


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [(b'{"lines": [', "application/json"), (b"lines=1", "application/x-www-form-urlencoded")],
)
def test_bad_json_and_another_content_type_get_the_routes_answer(world, settings, raw, content_type):  # noqa: F811
    plain = api_token_create(user=world.cashiers[0], name="desk")[1]
    headers = {"authorization": f"Bearer {plain}", "idempotency_key": "j"}
    answers = []
    for hot in (True, False):
        settings.API_HOT_ROUTES = hot
        answers.append(call("POST", "/api/v1/payments", raw=raw, content_type=content_type, **headers))
    assert answers[0] == answers[1]
    assert answers[0][0] == 400


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_retries_on_the_hot_path_create_one_payment(world):  # noqa: F811
    """Eight concurrent HTTP retries of one payment (same key and body) through the real WSGI
    application: the hot path takes one, the others step aside to the route, which answers each
    with that first payment."""

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writer; and the hot path is PostgreSQL's")
    plain = api_token_create(user=world.cashiers[0], name="desk")[1]
    auth = {"authorization": f"Bearer {plain}"}
    water, heat = world.accounts["water"].pk, world.accounts["heat"].pk
    assert (
        call(
            "POST",
            "/api/v1/payments",
            {"lines": [{"account_id": water, "amount": "1"}], "method": "card"},
            **auth,
            idempotency_key="open",
        )[0]
        == 201
    )
    body = {
        "lines": [{"account_id": water, "amount": "10.00"}, {"account_id": heat, "amount": "20.00"}],
        "method": "card",
    }
    n = 8

    def retry(_: int) -> tuple[int, str]:
        status, _, content = call("POST", "/api/v1/payments", body, **auth, idempotency_key="same")
        return status, json.loads(content)["receipt"]

    answers = at_once(n, retry)
    assert len(answers) == n and not [a for a in answers if isinstance(a, Exception)], answers
    assert sorted(a[0] for a in answers) == [200] * (n - 1) + [201]  # type: ignore[index]
    today = timezone.localdate()
    assert {a[1] for a in answers} == {f"P-01-{today:%Y%m%d}-2"}  # type: ignore[index]
    assert Payment.objects.count() == 2


def test_the_hot_routes_are_postgresqls():
    """On SQLite the payment's hot path could only step aside: no hot route is registered."""
    from merezha.api_hot import hot_routes
    from merezha.payments.api import payments_create_hot

    expected = (
        {("POST", "/api/v1/payments"): payments_create_hot} if connection.vendor == "postgresql" else {}
    )
    assert hot_routes() == expected
