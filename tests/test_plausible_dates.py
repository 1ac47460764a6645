"""Absurd dates are refused wherever they enter (core.dates): the day close (API, page, command),
a certificate's or a debt status's date, a subsidy decision's period (API and file)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from merezha.core.dates import plausible_window
from merezha.core.models import Certificate
from merezha.organisations.services import api_token_create
from merezha.payments.models import OperationalDay
from merezha.subsidies.models import SubsidyDecision
from tests.payments.conftest import world  # noqa: F401
from tests.subsidies.conftest import City, bearer, city  # noqa: F401

pytestmark = pytest.mark.django_db


def window() -> str:
    first, last = plausible_window()
    return f"it must be from {first.isoformat()} to {last.isoformat()}"


def window_shown() -> str:
    """The window as a page shows it: dates as every page shows them (core.reasons.figure)."""
    first, last = plausible_window()
    return f"it must be from {first:%d.%m.%Y} to {last:%d.%m.%Y}"


def test_the_day_close_refuses_day_one_everywhere(client, world):  # noqa: F811
    cashier = world.cashiers[0]
    auth = {"Authorization": f"Bearer {api_token_create(user=cashier, name='t')[1]}"}
    r = client.post("/api/v1/days/0001-01-01/close", headers=auth)
    assert (r.status_code, r.json()) == (
        422,
        {"detail": f"the date 0001-01-01 is not plausible: {window()}"},
    )
    with pytest.raises(CommandError) as err:
        call_command("close-day", "--date", "0001-01-01", stdout=io.StringIO())
    assert str(err.value) == f"the date 0001-01-01 is not plausible: {window()}"
    client.force_login(cashier)
    page = client.post("/desk/shift/close/", {"day": "0001-01-01"}, follow=True).content.decode()
    assert f"the date 01.01.0001 is not plausible: {window_shown()}" in page
    assert OperationalDay.objects.count() == 0
    r = client.post(f"/api/v1/days/{timezone.localdate().isoformat()}/close", headers=auth)
    assert r.status_code == 200


def test_certificates_and_debt_status_refuse_9999(client, city, bearer):  # noqa: F811
    auth = bearer(city.subsidy)
    r = client.post(
        "/api/v1/subsidy/certificates",
        {"dwelling_id": city.dwelling.pk, "date": "9999-12-31"},
        content_type="application/json",
        headers={**auth, "Idempotency-Key": "c-9999"},
    )
    assert (r.status_code, r.json()) == (422, {"detail": f"the date 9999-12-31 is not plausible: {window()}"})
    assert Certificate.objects.count() == 0
    r = client.get(
        f"/api/v1/subsidy/debt-status?dwelling_id={city.dwelling.pk}&date=0001-01-01", headers=auth
    )
    assert r.status_code == 422
    client.force_login(city.subsidy)
    page = client.get(f"/subsidies/households/{city.dwelling.pk}/?date=9999-12-31").content.decode()
    assert f"the date 31.12.9999 is not plausible: {window_shown()}" in page
    issue = reverse("subsidy-certificate-issue", args=[city.dwelling.pk])
    page = client.post(issue, {"date": "9999-12-31"}, follow=True).content.decode()
    assert f"the date 31.12.9999 is not plausible: {window_shown()}" in page
    assert Certificate.objects.count() == 0


def test_a_decision_for_9999_12_is_refused(client, city, bearer):  # noqa: F811
    auth = bearer(city.subsidy)
    first, last = plausible_window()
    body = {
        "decision": "A-9",
        "tax_id": "1234567899",
        "dwelling_id": city.dwelling.pk,
        "period_from": "9999-12",
        "period_to": "9999-12",
        "lines": [{"service": "heat", "monthly_amount": "10.00"}],
    }
    r = client.post(
        "/api/v1/subsidy/decisions",
        body,
        content_type="application/json",
        headers={**auth, "Idempotency-Key": "d"},
    )
    reason = f"the period 9999-12 is not plausible: it must be from {first:%Y-%m} to {last:%Y-%m}"
    assert r.status_code == 422
    assert [(e["column"], e["reason"]) for e in r.json()["errors"]] == [
        ("period_from", reason),
        ("period_to", reason),
    ]
    assert SubsidyDecision.objects.count() == 0


def test_the_window_edges_are_accepted(client, world):  # noqa: F811
    cashier = world.cashiers[0]
    auth = {"Authorization": f"Bearer {api_token_create(user=cashier, name='t')[1]}"}
    first, _last = plausible_window()
    assert client.post(f"/api/v1/days/{first.isoformat()}/close", headers=auth).status_code == 200
    before = first - dt.timedelta(days=1)
    assert client.post(f"/api/v1/days/{before.isoformat()}/close", headers=auth).status_code == 422
