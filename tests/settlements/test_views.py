"""The settlement page: admin and providers (own only), XLSX export, statement upload."""

from __future__ import annotations

import io

import pytest

from merezha.core.money import Money
from merezha.core.roles import Role
from tests.settlements.conftest import DAY, iban

pytestmark = pytest.mark.django_db
URL = f"/settlement/?day={DAY}"


def test_who_may_see_the_page(client, city, closed_day, make_user):
    for role in (Role.CASHIER, Role.SUBSIDY, Role.HOUSING, Role.MANAGER):
        client.force_login(make_user(role))
        assert client.get(URL).status_code == 403
        assert client.get(f"/settlement/export.xlsx?day={DAY}").status_code == 403
        assert client.post("/settlement/statements/").status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302
    client.force_login(city.users["VODA"])
    assert client.get(URL + "&provider=TEPLO").status_code == 404
    assert client.get(f"/settlement/export.xlsx?day={DAY}&provider=TEPLO").status_code == 404
    html = client.get(URL).content.decode()
    assert 'title="VODA"' in html and 'title="TEPLO"' not in html


def test_page_in_ukrainian_and_upload(client, city, closed_day, ukrainian):
    client.force_login(city.users["admin"])
    heat = city.ibans["TEPLO:heat"]
    csv = (
        "statement_id;account_iban;value_date;amount;payer_iban;purpose\r\n"
        f"S-9;{heat};2026-11-03;333.33;{iban(12)};згідно реєстру № 1 від 02.11.2026, пункт P002\r\n"
    ).encode()
    f = io.BytesIO(csv)
    f.name = "s.csv"
    r = client.post(f"/settlement/statements/?day={DAY}", {"file": f}, follow=True)
    html = r.content.decode()
    assert "Виписку S-9 імпортовано: зіставлено 1, неочікуваних 0." in html
    assert "<h1>Розрахунки з надавачами: 02.11.2026</h1>" in html
    assert Money.parse("1846.44").display() in html and ">зараховано<" in html
    # six payer rows (both providers); one paid, the others not (the day is long past: missing)
    assert "Зараховано: 1 ·" in html and "Не надійшло: 5 ·" in html
    bad = io.BytesIO(b"<!DOCTYPE x><x/>")
    bad.name = "b.xml"
    html = client.post(f"/settlement/statements/?day={DAY}", {"file": bad}, follow=True).content.decode()
    assert "Виписку відхилено" in html


def test_the_page_has_the_navigation_of_the_reader_s_other_pages(client, city, closed_day, ukrainian):
    client.force_login(city.users["VODA"])
    html = client.get(URL).content.decode()
    nav = html[html.index("<nav>") : html.index("</nav>")]
    for url in ("/provider/", "/provider/services/", "/settlement/", "/provider/tokens/", "/inbox/"):
        assert f'<a href="{url}">' in nav, url
    client.force_login(city.users["admin"])
    html = client.get(URL).content.decode()
    nav = html[html.index("<nav>") : html.index("</nav>")]
    assert '<a href="/centre/">' in nav and '<a href="/centre/organisations/">' in nav
    assert '<a href="/provider/">' not in nav
