"""Pages for people in Ukrainian: the error pages, the public certificate verification, refusals
logged in one line."""

from __future__ import annotations

import logging

import pytest
from django.test import override_settings

from merezha.core.certificates import certificate_issue
from merezha.core.models import Certificate
from merezha.core.roles import OrgKind
from tests.htmltree import parse

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return " ".join(parse(response.content.decode()).find("main").get_text().split())


@override_settings(DEBUG=False)
def test_404_is_the_ukrainian_page_not_the_debug_page(client, ukrainian):
    r = client.get("/no-such-page/")
    assert r.status_code == 404
    assert text_of(r).startswith("Сторінку не знайдено Такої сторінки немає")
    assert "Page not found" not in r.content.decode() and "URLconf" not in r.content.decode()


@override_settings(DEBUG=False)
def test_403_is_the_ukrainian_page(client, make_user, ukrainian):
    client.force_login(make_user("cashier"))
    r = client.get("/housing/")
    assert r.status_code == 403
    assert text_of(r).startswith("Доступ заборонено Ця сторінка не для вашої ролі")


@override_settings(DEBUG=False)
def test_500_is_the_ukrainian_page(client, ukrainian, monkeypatch):
    from merezha.core import views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "certificate_verify", broken)
    client.raise_request_exception = False
    r = client.get("/verify/?n=2026-1&c=x")
    assert r.status_code == 500
    body = " ".join(parse(r.content.decode()).find("body").get_text().split())
    assert body.startswith("Помилка сервера На нашому боці сталася помилка")


def test_a_refusal_is_logged_in_one_line(client, make_user, caplog):
    client.force_login(make_user("cashier"))
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/housing/").status_code == 403
    refusals = [r for r in caplog.records if r.name == "django.request"]
    assert [r.getMessage() for r in refusals] == ["Forbidden (Permission denied): /housing/"]
    assert refusals[0].exc_info is None and refusals[0].exc_text is None


@pytest.fixture
def payment_cert(make_org):
    office = make_org(OrgKind.HOUSING_OFFICE, code="ZHEK-01")
    return certificate_issue(
        kind=Certificate.Kind.PAYMENT_STATUS,
        issuer=office,
        user=None,
        subject="dwelling:1",
        payload={
            "dwelling": "D1",
            "address": "вул. Свободи, 1, кв. 2",
            "as_of": "2026-12-07",
            "accounts": [
                {
                    "provider": "WATER",
                    "provider_code": "WATER",
                    "provider_name": "Водоканал",
                    "service": "water",
                    "service_name": "Водопостачання",
                    "account": "W00000001",
                    "payer": "Петренко Ганна",
                    "debt": "1234.56",
                    "as_of": "2026-11-30",
                }
            ],
            "total_debt": "1234.56",
            "has_debt": True,
        },
    )


def test_verification_page_shows_the_certificate_in_ukrainian(client, payment_cert, ukrainian):
    r = client.get(f"/verify/{payment_cert.number}/?c={payment_cert.code}")
    assert r.status_code == 200
    page = parse(r.content.decode())
    rows = [
        [c.get_text() for c in tr.find_all() if c.tag in ("th", "td")]
        for tr in page.find("main").find("table").find_all("tr")
    ]
    assert rows[:3] == [
        ["Вид", "Довідка про стан розрахунків"],
        ["Номер", payment_cert.number],
        ["Ким видано", "ZHEK-01"],
    ]
    figures = page.find("table", class_="figures")
    cells = [
        c.get_text().strip() for c in figures.find_all() if c.tag in ("th", "td") and not c.find("table")
    ]
    assert cells == [
        "Ідентифікатор житла", "D1",
        "Адреса", "вул. Свободи, 1, кв. 2",
        "Станом на", "07.12.2026",
        "Особові рахунки",
        "Постачальник послуг", "Послуга", "Особовий рахунок", "Платник", "Заборгованість", "Станом на",
        "Водоканал", "Водопостачання", "W00000001", "Петренко Ганна", "1\u202f234,56", "30.11.2026",
        "Загальна заборгованість", "1\u202f234,56",
    ]  # fmt: skip
    for english in ("provider_code", "total_debt", "has_debt", "Payment Status", "{"):
        assert english not in r.content.decode().split("<main>")[1]


def test_empty_verify_shows_the_form_only(client, ukrainian):
    r = client.get("/verify/")
    assert r.status_code == 200
    text = text_of(r)
    assert "не справжня" not in text.lower()
    assert "Введіть номер і код перевірки" in text


def test_a_forged_code_is_said_in_ukrainian(client, payment_cert, ukrainian):
    r = client.get(f"/verify/{payment_cert.number}/?c=bad")
    assert r.status_code == 404
    assert "код перевірки не відповідає цьому номеру" in text_of(r)
