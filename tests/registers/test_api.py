"""The registers API: own registers only, files in each format, acknowledgement; day close by a cashier."""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pytest

from merezha.core.models import InboxDocument
from merezha.core.roles import Role
from merezha.organisations.services import api_token_create
from merezha.payments.models import OperationalDay
from merezha.registers.models import Register, RegisterLine
from tests.idempotency import CONFLICT, TOO_LONG, assert_replayed, kept
from tests.payments.conftest import at

pytestmark = pytest.mark.django_db


def bearer(user):
    return {"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"}


@pytest.fixture
def closed(world, pay, client):
    pay({"water": "10.00", "heat": "4.00"}, when=at("2026-11-02", 9))
    pay({"sewer": "2.50"}, when=at("2026-11-02", 9, 30))
    r = client.post("/api/v1/days/2026-11-02/close", headers=bearer(world.cashiers[0]))
    assert r.status_code == 200, r.content
    return r.json()


def test_day_close_route(world, closed, client, make_user):
    assert closed["registers"] == [
        {"provider": "heat", "number": 1, "count": 1, "total": "4.00"},
        {"provider": "water", "number": 1, "count": 2, "total": "12.50"},
    ]
    again = client.post("/api/v1/days/2026-11-02/close", headers=bearer(world.cashiers[0])).json()
    assert again["registers"] == [] and again["status"] == "closed"
    assert (
        client.post("/api/v1/days/2026-11-02/close", headers=bearer(make_user(Role.PROVIDER))).status_code
        == 403
    )
    r = client.post("/api/v1/days/2099-01-01/close", headers=bearer(world.cashiers[0]))
    assert r.status_code == 422 and "future" in r.json()["detail"]
    assert client.post("/api/v1/days/2026-13-01/close", headers=bearer(world.cashiers[0])).status_code == 422


def test_provider_sees_only_its_registers(world, closed, client, make_user):
    water = make_user(Role.PROVIDER, organisation=world.providers["water"])
    heat = make_user(Role.PROVIDER, organisation=world.providers["heat"])
    data = client.get("/api/v1/registers", headers=bearer(water)).json()
    assert [(r["number"], r["provider"], r["count"], r["total"], r["status"]) for r in data] == [
        (1, "water", 2, "12.50", "delivered")
    ]
    assert client.get("/api/v1/registers?since_number=1", headers=bearer(water)).json() == []
    assert client.get("/api/v1/registers?since_date=2026-11-03", headers=bearer(water)).json() == []
    one = client.get("/api/v1/registers/1", headers=bearer(water)).json()
    assert [(x["line"], x["service"], x["amount"]) for x in one["lines"]] == [
        (1, "water", "10.00"),
        (2, "sewer", "2.50"),
    ]
    assert client.get("/api/v1/registers/1", headers=bearer(heat)).json()["total"] == "4.00"
    assert client.get("/api/v1/registers/2", headers=bearer(water)).status_code == 404
    assert client.get("/api/v1/registers", headers=bearer(world.cashiers[0])).status_code == 403
    assert client.get("/api/v1/registers/1", headers=bearer(make_user(Role.ADMIN))).status_code == 403


def test_register_files_and_acknowledge(world, closed, client, make_user):
    water = make_user(Role.PROVIDER, organisation=world.providers["water"])
    r = client.get("/api/v1/registers/1/file?format=json", headers=bearer(water))
    assert r.status_code == 200
    data = json.loads(b"".join(r.streaming_content))
    assert (data["provider"], data["total"], len(data["lines"])) == ("water", "12.50", 2)
    r = client.get("/api/v1/registers/1/file?format=xlsx", headers=bearer(water))
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True)
    assert wb.sheetnames == ["lines", "summary"]
    r = client.get("/api/v1/registers/1/file?format=dbf", headers=bearer(water))
    assert b"".join(r.streaming_content)[0] == 0x03
    assert client.get("/api/v1/registers/1/file?format=pdf", headers=bearer(water)).status_code == 422
    other = make_user(Role.PROVIDER, organisation=world.providers["heat"])
    assert client.get("/api/v1/registers/9/file?format=csv", headers=bearer(other)).status_code == 404
    r = client.post("/api/v1/registers/1/acknowledge", headers=bearer(water))
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    first = r.json()["acknowledged_at"]
    assert (
        client.post("/api/v1/registers/1/acknowledge", headers=bearer(water)).json()["acknowledged_at"]
        == first
    )
    assert client.get("/api/v1/registers/1", headers=bearer(other)).json()["status"] == "delivered"


def test_reconciliation_route(world, closed, client, make_user):
    url = "/api/v1/reconciliation?day_from=2026-11-02"
    assert client.get(url, headers=bearer(make_user(Role.PROVIDER))).status_code == 403
    rows = client.get(url, headers=bearer(make_user(Role.ADMIN))).json()
    assert [(r["point"], r["provider"], r["registered"], r["ok"]) for r in rows] == [
        ("P-01", "heat", "4.00", True),
        ("P-01", "water", "12.50", True),
        ("P-01", "", "16.50", True),
    ]


# --- Idempotency-Key on the day close and the acknowledgement -------------------------------------


def close(client, user, day, key=None):
    headers = bearer(user) | ({"Idempotency-Key": key} if key else {})
    return client.post(f"/api/v1/days/{day}/close", headers=headers)


def test_day_close_retry_with_the_key_returns_the_first_answer(world, pay, client):
    pay({"water": "10.00", "heat": "4.00"}, when=at("2026-11-02", 9))
    first = close(client, world.cashiers[0], "2026-11-02", "close-1")
    assert (first.status_code, first.json()) == (
        200,
        {
            "point": "P-01",
            "day": "2026-11-02",
            "status": "closed",
            "registers": [
                {"provider": "heat", "number": 1, "count": 1, "total": "4.00"},
                {"provider": "water", "number": 1, "count": 1, "total": "10.00"},
            ],
        },
    )
    again = close(client, world.cashiers[0], "2026-11-02", "close-1")
    assert_replayed(first, again)  # the registers issued then, not an empty list
    assert Register.objects.count() == 2 and RegisterLine.objects.count() == 2
    assert InboxDocument.objects.count() == 2
    r = close(client, world.cashiers[0], "2026-11-01", "close-1")
    assert (r.status_code, r.json()) == (409, CONFLICT)
    assert OperationalDay.objects.filter(day=dt.date(2026, 11, 1)).count() == 0
    # without a key, as before: closing again changes nothing
    assert close(client, world.cashiers[0], "2026-11-02").json()["registers"] == []
    assert kept("day-close") == [(f"day-close:{world.points[0].pk}", "close-1", 200)]


def test_day_close_refused_keeps_no_key(world, client):
    r = close(client, world.cashiers[0], "2099-01-01", "close-1")
    assert (r.status_code, r.json()) == (
        422,
        {"detail": "2099-01-01 is in the future: it cannot be closed yet"},
    )
    assert kept("day-close") == []
    r = close(client, world.cashiers[0], "2026-11-02", "close-1")
    assert (r.status_code, r.json()["day"], r.json()["registers"]) == (200, "2026-11-02", [])
    assert [key for _scope, key, _status in kept("day-close")] == ["close-1"]


def test_day_close_keys_of_two_points_are_independent(world, pay, client):
    pay({"water": "10.00"}, when=at("2026-11-02", 9), point=0)
    pay({"heat": "7.00"}, when=at("2026-11-02", 9), point=1)
    a = close(client, world.cashiers[0], "2026-11-02", "same")
    b = close(client, world.cashiers[1], "2026-11-02", "same")
    assert (a.json()["point"], a.json()["registers"]) == (
        "P-01",
        [{"provider": "water", "number": 1, "count": 1, "total": "10.00"}],
    )
    assert (b.json()["point"], b.json()["registers"]) == (
        "P-02",
        [{"provider": "heat", "number": 1, "count": 1, "total": "7.00"}],
    )
    assert OperationalDay.objects.filter(status=OperationalDay.Status.CLOSED).count() == 2


def acknowledge(client, user, number, key=None):
    headers = bearer(user) | ({"Idempotency-Key": key} if key else {})
    return client.post(f"/api/v1/registers/{number}/acknowledge", headers=headers)


def test_acknowledge_retry_with_the_key_returns_the_first_answer(world, closed, client, make_user):
    water = make_user(Role.PROVIDER, organisation=world.providers["water"])
    first = acknowledge(client, water, 1, "ack-1")
    assert first.status_code == 200
    assert {k: first.json()[k] for k in ("number", "provider", "count", "total", "status")} == {
        "number": 1,
        "provider": "water",
        "count": 2,
        "total": "12.50",
        "status": "acknowledged",
    }
    document = InboxDocument.objects.get(recipient_code="water")
    again = acknowledge(client, water, 1, "ack-1")
    assert_replayed(first, again)
    assert InboxDocument.objects.get(recipient_code="water").acknowledged_at == document.acknowledged_at
    r = acknowledge(client, water, 2, "ack-1")
    assert (r.status_code, r.json()) == (409, CONFLICT)
    assert kept("register-ack") == [(f"register-ack:{world.providers['water'].pk}", "ack-1", 200)]


def test_acknowledge_refused_keeps_no_key(world, closed, client, make_user):
    water = make_user(Role.PROVIDER, organisation=world.providers["water"])
    r = acknowledge(client, water, 9, "ack-1")
    assert (r.status_code, r.json()) == (404, {"detail": "no such register"})
    assert kept("register-ack") == []
    assert acknowledge(client, water, 1, "ack-1").json()["status"] == "acknowledged"


def test_acknowledge_keys_of_two_providers_are_independent(world, closed, client, make_user):
    water = make_user(Role.PROVIDER, organisation=world.providers["water"])
    heat = make_user(Role.PROVIDER, organisation=world.providers["heat"])
    a = acknowledge(client, water, 1, "same")
    b = acknowledge(client, heat, 1, "same")
    assert (a.json()["provider"], a.json()["total"]) == ("water", "12.50")
    assert (b.json()["provider"], b.json()["total"]) == ("heat", "4.00")
    assert InboxDocument.objects.filter(status=InboxDocument.Status.ACKNOWLEDGED).count() == 2
    r = acknowledge(client, water, 1, "x" * 129)
    assert (r.status_code, r.json()) == (422, TOO_LONG)
