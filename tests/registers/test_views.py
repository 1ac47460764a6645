"""The information centre's reconciliation page: admin only, mismatches flagged."""

from __future__ import annotations

import pytest

from merezha.core.roles import Role
from merezha.registers.models import RegisterLine
from merezha.registers.services import days_close
from tests.payments.conftest import at

pytestmark = pytest.mark.django_db
URL = "/registers/reconciliation/?from=2026-11-02&to=2026-11-02"


def test_only_admins_see_reconciliation(client, world, make_user):
    for role in (Role.CASHIER, Role.PROVIDER, Role.SUBSIDY, Role.HOUSING, Role.MANAGER):
        client.force_login(make_user(role))
        assert client.get(URL).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302


def test_page_flags_mismatches(client, world, pay, make_user):
    import datetime as dt

    pay({"water": "10.00", "heat": "4.00"}, when=at("2026-11-02", 9))
    days_close(day=dt.date(2026, 11, 2))
    client.force_login(make_user(Role.ADMIN))
    r = client.get(URL)
    assert r.status_code == 200
    html = r.content.decode()
    assert 'class="ok" id="mismatches"' in html
    # the point-day total: accepted, cancelled, expected, registered
    assert (
        '<th class="num">14,00</th><th class="num">0,00</th>\n        <th class="num">14,00</th><th class="num">14,00</th>'
        in html
    )
    assert ">closed<" in html and ">none<" not in html
    RegisterLine.objects.filter(amount=400).delete()  # a register line lost: must be flagged
    html = client.get(URL).content.decode()
    assert 'class="bad" id="mismatches"' in html and html.count('<tr class="bad">') == 2
    assert client.get("/registers/reconciliation/?from=nope").status_code == 400
