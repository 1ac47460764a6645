"""The housing office's forms in Ukrainian: every refusal beside its field, what was typed kept,
and a second step before what cannot be taken back."""

from __future__ import annotations

import re

import pytest

from merezha.housing.models import ChangeReport
from merezha.registry.models import Person, RegisterChange
from tests.htmltree import parse

pytestmark = pytest.mark.django_db


def errors_of(html: str, field: str) -> list[str]:
    """The error texts Django's form puts right before the input of `field` (`as_p`)."""
    box = parse(html).find(id=f"id_{field}_error")
    return [li.get_text() for li in box.find_all("li")] if box else []


def test_register_shows_every_error_at_once_in_ukrainian_and_keeps_the_input(clerk_client, city, ukrainian):
    d1 = city.dwellings["D1"].pk
    typed = {
        "surname": "",
        "name": "Олена",
        "patronymic": "Петрівна",
        "birth_date": "2030-05-01",
        "tax_id": "12345",
        "benefit": "NOPE",
        "registered_from": "2031-01-01",
    }
    r = clerk_client.post(f"/housing/dwellings/{d1}/register/", typed)
    html = r.content.decode()
    assert r.status_code == 400
    assert errors_of(html, "surname") == ["Це поле обов'язкове."]
    assert errors_of(html, "registered_from") == ["дата 01.01.2031 ще не настала"]
    assert errors_of(html, "tax_id") == ["ідентифікаційний код 12345: РНОКПП має 10 цифр"]
    assert errors_of(html, "benefit") == ["Виберіть значення зі списку: NOPE серед них немає."]
    soup = parse(html)
    assert soup.find("input", name="name")["value"] == "Олена"
    assert soup.find("input", name="tax_id")["value"] == "12345"
    assert soup.find("input", name="registered_from")["value"] == "2031-01-01"
    assert (
        soup.find("form", action=f"/housing/dwellings/{d1}/register/").find_parent("details").has_attr("open")
    )
    assert "registered_from:" not in html and "is in the future" not in html
    assert RegisterChange.objects.count() == 0


def test_register_service_errors_beside_their_fields(clerk_client, city, ukrainian):
    d1 = city.dwellings["D1"].pk
    r = clerk_client.post(
        f"/housing/dwellings/{d1}/register/",
        {"surname": "Мельник", "birth_date": "2026-11-20", "registered_from": "2026-11-01", "benefit": "VET"},
    )
    assert r.status_code == 400
    assert errors_of(r.content.decode(), "birth_date") == ["дата народження пізніша за дату реєстрації"]
    assert not Person.objects.filter(surname="Мельник").exists()


def test_benefit_is_chosen_from_the_list_in_every_form(clerk_client, city, ukrainian):
    html = clerk_client.get(f"/housing/dwellings/{city.dwellings['D1'].pk}/").content.decode()
    soup = parse(html)
    selects = soup.find_all("select", name="benefit")
    assert len(selects) > 1 and not soup.find("input", name="benefit")
    for select in selects:
        assert [o["value"] for o in select.find_all("option")] == ["", "PENS", "VET"]


def test_person_form_error_in_ukrainian_beside_the_form_with_the_typed_date(clerk_client, city, ukrainian):
    petro = city.persons["petro"]
    r = clerk_client.post(
        f"/housing/persons/{petro.pk}/deregister/", {"date": "2019-01-01", "reason": "died"}
    )
    assert r.status_code == 400
    soup = parse(r.content.decode())
    form = soup.find("form", action=f"/housing/persons/{petro.pk}/deregister/")
    reg = petro.registered_from.strftime("%d.%m.%Y")
    assert [li.get_text() for li in form.find_all("li")] == [f"раніше за дату реєстрації {reg}"]
    assert form.find("input", name="date")["value"] == "2019-01-01"
    assert form.find("option", selected=True)["value"] == "died"
    assert form.find_parent("details").has_attr("open")


def test_an_implausible_area_needs_a_second_submit(clerk_client, city, ukrainian):
    d1 = city.dwellings["D1"]
    url = f"/housing/dwellings/{d1.pk}/area/"
    r = clerk_client.post(url, {"area": "100000", "date": "2026-11-01"})
    assert r.status_code == 400
    form = parse(r.content.decode()).find("form", action=url)
    assert [li.get_text() for li in form.find_all("li")] == [
        "100\u202f000 м² — незвично велика площа: перевірте її, позначте прапорець і збережіть ще раз"
    ]
    assert form.find("input", name="area")["value"] == "100000"
    assert form.find("input", name="confirm") is not None
    assert RegisterChange.objects.count() == 0
    r = clerk_client.post(url, {"area": "100000", "date": "2026-11-01", "confirm": "1"})
    assert r.status_code == 302
    d1.refresh_from_db()
    assert str(d1.area) == "100000.00"
    # an ordinary area needs no second step
    assert clerk_client.post(url, {"area": "54,3", "date": "2026-11-01"}).status_code == 302


def test_bad_area_in_ukrainian(clerk_client, city, ukrainian):
    url = f"/housing/dwellings/{city.dwellings['D1'].pk}/area/"
    r = clerk_client.post(url, {"area": "много", "date": "2026-11-01"})
    form = parse(r.content.decode()).find("form", action=url)
    assert [li.get_text() for li in form.find_all("li")] == ["не площа в м²: много"]


def test_change_reports_ask_first_and_refuse_a_month_to_come(clerk_client, city, ukrainian):
    r = clerk_client.post("/housing/change-reports/", {"month": "2026-13"})
    assert r.status_code == 400
    soup = parse(r.content.decode())
    assert [
        li.get_text()
        for li in soup.find_all("li", **{"data-field": True})
        or [li for ul in soup.find_all("ul", class_="errorlist") for li in ul.find_all("li")]
    ] == ["не період: '2026-13' (очікується РРРР-ММ)"]
    assert soup.find("input", name="month")["value"] == "2026-13"
    r = clerk_client.post("/housing/change-reports/", {"month": "2026-12", "confirm": "1"})
    assert r.status_code == 400
    assert [
        li.get_text()
        for li in [
            li
            for ul in parse(r.content.decode()).find_all("ul", class_="errorlist")
            for li in ul.find_all("li")
        ]
    ] == ["місяць 12.2026 ще не почався: звітувати ще нема про що"]
    asked = clerk_client.post("/housing/change-reports/", {"month": "2026-11"})
    text = re.sub(r"\s+", " ", parse(asked.content.decode()).get_text())
    assert "Надіслати звіти про зміни за 2026-11 2 постачальникам?" in text
    assert ChangeReport.objects.count() == 0
    assert (
        clerk_client.post("/housing/change-reports/", {"month": "2026-11", "confirm": "1"}).status_code == 302
    )
    assert ChangeReport.objects.count() == 2


def test_history_shows_names_not_codes(clerk_client, city, ukrainian):
    petro = city.persons["petro"]
    clerk_client.post(f"/housing/persons/{petro.pk}/benefit/", {"benefit": "VET", "date": "2026-11-01"})
    clerk_client.post(
        f"/housing/persons/{petro.pk}/deregister/", {"date": "2026-11-02", "reason": "moved_out"}
    )
    soup = parse(clerk_client.get(f"/housing/dwellings/{petro.dwelling_id}/").content.decode())
    history = [h for h in soup.find_all("h2") if h.get_text() == "Історія"][0].find_parent("div")
    rows = [[td.get_text() for td in tr.find_all("td")][5:] for tr in history.find("tbody").find_all("tr")]
    assert ["Причина", "", "вибуття", "вручну"] in rows
    assert ["Пільга", "", "Ветеран війни", "вручну"] in rows
