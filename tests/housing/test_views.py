"""Pages: the office sees and edits only its own dwellings (others 404), other roles get 403."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from merezha.registry.models import Person, RegisterChange

pytestmark = pytest.mark.django_db

REPORTS = [
    "/housing/",
    "/housing/reports/debt/",
    "/housing/reports/debtors/",
    "/housing/reports/beneficiaries/",
    "/housing/reports/recalculation/",
    "/housing/reports/rent-anomalies/",
    "/housing/reports/charts/",
    "/housing/change-reports/",
]


def xlsx_rows(response):
    body = b"".join(response.streaming_content)
    return [list(r) for r in openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True)]


@pytest.mark.parametrize("role", ["provider", "cashier", "subsidy", "admin", "manager"])
def test_other_roles_get_403(client, make_user, city, role):
    client.force_login(make_user(role))
    for url in [*REPORTS, f"/housing/dwellings/{city.dwellings['D1'].pk}/"]:
        assert client.get(url).status_code == 403, url
    assert (
        client.post(
            f"/housing/persons/{city.persons['petro'].pk}/deregister/",
            {"date": "2026-11-01", "reason": "died"},
        ).status_code
        == 403
    )


def test_anonymous_is_sent_to_login(client, city):
    assert client.get("/housing/").status_code == 302


def test_every_page_renders(clerk_client, city):
    for url in REPORTS:
        assert clerk_client.get(url).status_code == 200, url


def test_search_finds_only_own_dwellings(clerk_client, city):
    def found(q):
        page = clerk_client.get("/housing/", {"q": q}).content.decode()
        return [ref for ref in ("D1", "D2", "D3", "D4", "D5", "D6") if f"<td>{ref}</td>" in page]

    assert found("вулиця Свободи, буд. 1, кв. 2") == ["D2"]
    assert found("Миру") == ["D4", "D5"]
    assert found("ул. Миру 7") == []  # ZHEK-2's building
    assert found("Коваль") == ["D4"]
    assert found("D5") == ["D5"]
    assert found("D6") == []


def test_dwelling_page_and_another_offices_404(clerk_client, city):
    page = clerk_client.get(f"/housing/dwellings/{city.dwellings['D1'].pk}/").content.decode()
    assert "Іваненко Марія" in page and "1\u202f500,00" in page and "1\u202f620,50" in page
    assert '<td title="rent">Квартплата</td>' in page
    assert clerk_client.get(f"/housing/dwellings/{city.dwellings['D6'].pk}/").status_code == 404
    ivan = city.persons["ivan"].pk
    for action, data in (
        ("deregister", {"date": "2026-11-01", "reason": "died"}),
        ("relation", {"relation": "other", "date": "2026-11-01"}),
        ("benefit", {"benefit": "VET", "date": "2026-11-01"}),
        ("absence", {"date_from": "2026-11-01", "date_to": "2026-11-02", "reason": "x"}),
    ):
        assert clerk_client.post(f"/housing/persons/{ivan}/{action}/", data).status_code == 404
    d6 = city.dwellings["D6"].pk
    assert (
        clerk_client.post(
            f"/housing/dwellings/{d6}/register/", {"surname": "X", "registered_from": "2026-11-01"}
        ).status_code
        == 404
    )
    assert (
        clerk_client.post(f"/housing/dwellings/{d6}/area/", {"area": "10", "date": "2026-11-01"}).status_code
        == 404
    )
    assert RegisterChange.objects.count() == 0


def test_edits_through_the_pages_are_in_the_history(clerk_client, city):
    d3 = city.dwellings["D3"].pk
    r = clerk_client.post(
        f"/housing/dwellings/{d3}/register/",
        {"surname": "Мельник", "name": "Іван", "registered_from": "2026-11-03"},
    )
    assert r.status_code == 302
    person = Person.objects.get(surname="Мельник")
    assert (
        clerk_client.post(
            f"/housing/persons/{person.pk}/benefit/", {"benefit": "VET", "date": "2026-11-04"}
        ).status_code
        == 302
    )
    # the resident's benefit reads as its name, the code in the tooltip
    assert (
        '<td title="VET">Ветеран війни</td>' in clerk_client.get(f"/housing/dwellings/{d3}/").content.decode()
    )
    assert (
        clerk_client.post(
            f"/housing/dwellings/{d3}/area/", {"area": "41,5", "date": "2026-11-05"}
        ).status_code
        == 302
    )
    assert (
        clerk_client.post(
            f"/housing/persons/{person.pk}/absence/",
            {"date_from": "2026-11-06", "date_to": "2026-11-08", "reason": "лікарня"},
        ).status_code
        == 302
    )
    assert (
        clerk_client.post(
            f"/housing/persons/{person.pk}/deregister/", {"date": "2026-11-20", "reason": "moved_out"}
        ).status_code
        == 302
    )
    page = clerk_client.get(f"/housing/dwellings/{d3}/").content.decode()
    assert "41.50" in page and "Мельник Іван" in page
    assert list(
        RegisterChange.objects.filter(dwelling_id=d3)
        .order_by("id")
        .values_list("kind", "field", "new_value", "recorded_by__username")
    ) == [
        ("arrived", "", "", "clerk"),
        ("person_changed", "benefit", "VET", "clerk"),
        ("dwelling_changed", "area", "41.50", "clerk"),
        ("left", "reason", "moved_out", "clerk"),
    ]


def test_bad_input_is_a_clear_400_and_changes_nothing(clerk_client, city):
    d1 = city.dwellings["D1"].pk
    petro = city.persons["petro"].pk
    cases = [
        (
            f"/housing/dwellings/{d1}/register/",
            {"surname": "X", "registered_from": "2026-12-01"},
            "is in the future",
        ),
        (f"/housing/dwellings/{d1}/register/", {"surname": "X"}, "registered_from"),
        (f"/housing/dwellings/{d1}/area/", {"area": "много", "date": "2026-11-01"}, "not an area"),
        (
            f"/housing/persons/{petro}/deregister/",
            {"date": "2019-01-01", "reason": "died"},
            "before the registration date",
        ),
        (f"/housing/persons/{petro}/deregister/", {"date": "2026-11-01", "reason": "bored"}, "reason"),
        (
            f"/housing/persons/{petro}/benefit/",
            {"benefit": "ZZZ", "date": "2026-11-01"},
            "Select a valid choice",
        ),
    ]
    for url, data, reason in cases:
        r = clerk_client.post(url, data)
        assert r.status_code == 400 and reason in r.content.decode(), (url, data)
    assert RegisterChange.objects.count() == 0
    for url in (
        "/housing/reports/debtors/?min_debt=abc",
        "/housing/reports/debtors/?min_months=-1",
        "/housing/reports/debt/?street=x",
        "/housing/reports/debt/?street=99999999999999999999",
        "/housing/reports/debtors/?min_debt=1e300",
        "/housing/reports/recalculation/?from=2026-13",
        "/housing/reports/recalculation/?from=2026-10&to=2026-09",
    ):
        assert clerk_client.get(url).status_code == 400, url


def test_xlsx_exports_have_exact_figures(clerk_client, city, ukrainian):
    rows = xlsx_rows(clerk_client.get("/housing/reports/debtors/", {"format": "xlsx", "min_months": "1"}))
    assert rows[0] == [
        "ЖЕК / управляюча компанія",
        "Ідентифікатор житла",
        "Адреса",
        "Особовий рахунок",
        "Платник",
        "Зареєстровано",
        "Щомісячне нарахування",
        "Заборгованість",
        "Місяців боргу",
    ]
    assert rows[1:] == [
        [
            "ZHEK-1",
            "D1",
            "вул. Свободи, 1, кв. 1",
            "R1",
            "payer of D1",
            3,
            Decimal("500"),
            Decimal("1500"),
            3,
        ],
        ["ZHEK-1", "D2", "вул. Свободи, 1, кв. 2", "R2", "payer of D2", 1, Decimal("300"), Decimal("450"), 1],
        ["ZHEK-1", "D3", "вул. Свободи, 1, кв. 3", "R3", "payer of D3", 0, Decimal("200"), Decimal("200"), 1],
    ]
    debt = xlsx_rows(clerk_client.get("/housing/reports/debt/", {"format": "xlsx"}))
    assert debt[1:] == [["вул. Миру, 5", 2, 1, 0, 0, 100], ["вул. Свободи, 1", 3, 3, 3, 2150, 0]]
    ben = xlsx_rows(
        clerk_client.get("/housing/reports/beneficiaries/", {"format": "xlsx", "category": "PENS"})
    )
    assert ben[1:] == [
        ["PENS", "Пенсіонер", "Петренко Ганна", dt.datetime(1950, 1, 20), "вул. Свободи, 1, кв. 2"]
    ]
    page = clerk_client.get("/housing/reports/beneficiaries/", {"category": "PENS"}).content.decode()
    assert '<td title="PENS">Пенсіонер</td><td>Петренко Ганна</td>' in page  # the category by its name
    anomalies = xlsx_rows(clerk_client.get("/housing/reports/rent-anomalies/", {"format": "xlsx"}))
    assert [r[1] for r in anomalies[1:]] == ["D5", "D3"]


def test_city_wide_debtors_export(client, make_user, city):
    for role in ("admin", "manager"):
        client.force_login(make_user(role))
        rows = xlsx_rows(client.get("/debtors/export.xlsx"))
        assert [(r[0], r[3], r[7]) for r in rows[1:]] == [
            ("ZHEK-2", "R6", 800),
            ("ZHEK-1", "R1", 1500),
            ("ZHEK-1", "R2", 450),
            ("ZHEK-1", "R3", 200),
        ]
    client.force_login(city.clerk)
    rows = xlsx_rows(client.get("/debtors/export.xlsx", {"min_debt": "300"}))
    assert [r[3] for r in rows[1:]] == ["R1", "R2"]
    for role in ("provider", "cashier", "subsidy"):
        client.force_login(make_user(role))
        assert client.get("/debtors/export.xlsx").status_code == 403


def test_charts_page_draws_svg(clerk_client, city):
    page = clerk_client.get("/housing/reports/charts/").content.decode()
    assert page.count("<svg") == 2 and "вул. Свободи, 1" in page and "2026-10" in page
