"""The information centre's audit viewer: a cashier's searches appear in it, filtered, paged, exported."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from merezha.core.models import AuditEntry
from merezha.core.roles import Role
from merezha.core.services import audit_record
from merezha.organisations.services import api_token_create

TAX_ID = "1779483742"  # Коваленко Іван's, in dwelling 0001 of the search seed


def cashier_searches_by_page_and_api(cashier, city) -> None:
    desk = Client()
    desk.force_login(cashier)
    assert desk.get(reverse("desk-search"), {"q": TAX_ID}).status_code == 200
    _token, plain = api_token_create(user=cashier, name="pos")
    api = Client()
    response = api.get("/api/v1/search", {"q": TAX_ID}, headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 200
    assert [h["dwelling_id"] for h in response.json()] == [city.dwellings["0001"].pk]


def test_a_cashiers_search_by_tax_id_through_the_page_and_the_api_appears_in_the_viewer(
    centre, cashier, city, ukrainian
):
    cashier_searches_by_page_and_api(cashier, city)
    dwelling = city.dwellings["0001"].pk
    response = centre.get(reverse("audit-log"), {"tax_id": TAX_ID})
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(r.username, r.organisation_code, r.action, r.query, r.dwelling_ids) for r in rows] == [
        ("olha", "PT-01", "dwelling_search", "******3742", [dwelling]),
        ("olha", "PT-01", "dwelling_search", "******3742", [dwelling]),
    ]
    assert [r.channel for r in rows] == ["API", "сторінка"]  # newest first
    page = response.content.decode()
    table = page[page.index('id="audit-log"') : page.index("</table>")]
    assert TAX_ID not in table and "******3742" in table  # the log never shows (nor keeps) the number
    assert not AuditEntry.objects.filter(query__contains=TAX_ID).exists()
    assert table.count("Пошук житла (каса)") == 2  # (and once among the filter's actions)
    assert "Журнал аудиту" in page and "2 записи" in page


def test_filters_by_organisation_user_action_dwelling_and_date(centre, cashier, city, make_user):
    cashier_searches_by_page_and_api(cashier, city)
    desk = Client()
    desk.force_login(cashier)
    desk.get(reverse("desk-dwelling", args=[city.dwellings["0002"].pk]))
    other = make_user(Role.SUBSIDY, username="officer")
    audit_record(
        user=other,
        action="subsidy.search",
        query="вул. Свободи, 12",
        dwelling_ids=[city.dwellings["0002"].pk],
    )

    def shown(**params):
        return [(r.username, r.action) for r in centre.get(reverse("audit-log"), params).context["rows"]]

    assert shown(organisation="PT-01") == [
        ("olha", "dwelling_lookup"),
        ("olha", "dwelling_search"),
        ("olha", "dwelling_search"),
    ]
    assert shown(user="officer") == [("officer", "subsidy.search")]
    assert shown(action="dwelling_lookup") == [("olha", "dwelling_lookup")]
    assert shown(dwelling=city.dwellings["0002"].pk) == [
        ("officer", "subsidy.search"),
        ("olha", "dwelling_lookup"),
    ]
    today = timezone.localdate()
    assert len(shown(date_from=today.isoformat(), date_to=today.strftime("%d.%m.%Y"))) == 4
    assert shown(date_to=(today - dt.timedelta(days=1)).isoformat()) == []
    assert shown(tax_id="1111111111") == []  # not a valid РНОКПП: matches nothing


def test_bad_filters_say_why_and_show_nothing(centre, cashier, city):
    cashier_searches_by_page_and_api(cashier, city)
    response = centre.get(
        reverse("audit-log"), {"date_from": "2026-12-07", "date_to": "2026-12-01", "dwelling": "x"}
    )
    assert response.status_code == 400
    assert response.context["rows"] == []
    errors = response.context["errors"]
    assert "The start date is after the end date." in errors and "Enter a whole number." in errors
    assert centre.get(reverse("audit-export", args=["csv"]), {"date_from": "31.02.2026"}).status_code == 400
    assert centre.get(reverse("audit-export", args=["pdf"])).status_code == 404


def test_pages_of_fifty(centre, cashier):
    for i in range(51):
        audit_record(user=cashier, action="dwelling_search", query=f"Коваленко {i}")
    first = centre.get(reverse("audit-log"), {"organisation": "PT-01"})
    assert [r.query for r in first.context["rows"]][:2] == ["Коваленко 50", "Коваленко 49"]
    assert len(first.context["rows"]) == 50 and 'id="page-next"' in first.content.decode()
    second = centre.get(reverse("audit-log"), {"organisation": "PT-01", "page": 2})
    assert [r.query for r in second.context["rows"]] == ["Коваленко 0"]
    assert "organisation=PT-01&amp;page=1" in second.content.decode()


def test_csv_export_has_ukrainian_headers_and_every_matching_entry(centre, cashier, city, ukrainian):
    cashier_searches_by_page_and_api(cashier, city)
    response = centre.get(reverse("audit-export", args=["csv"]), {"tax_id": TAX_ID})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == [
        "Час",
        "Користувач",
        "ПІБ",
        "Організація",
        "Дія",
        "Канал",
        "Запит",
        "Показане житло",
        "Показані особи",
        "Об'єкт",
        "Подробиці",
    ]
    dwelling = str(city.dwellings["0001"].pk)
    assert [r[1:9] for r in rows[1:]] == [
        ["olha", "", "PT-01", "Пошук житла (каса)", "API", "******3742", dwelling, ""],
        ["olha", "", "PT-01", "Пошук житла (каса)", "сторінка", "******3742", dwelling, ""],
    ]
    assert rows[1][0] == timezone.localtime(AuditEntry.objects.order_by("-id")[0].at).strftime(
        "%d.%m.%Y %H:%M:%S"
    )


def test_xlsx_export(centre, cashier, city, ukrainian):
    cashier_searches_by_page_and_api(cashier, city)
    response = centre.get(reverse("audit-export", args=["xlsx"]), {"action": "dwelling_search"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:5] == ("Час", "Користувач", "ПІБ", "Організація", "Дія")
    assert [r[6] for r in rows[1:]] == ["******3742", "******3742"]


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.HOUSING, Role.SUBSIDY, Role.CASHIER, Role.MANAGER])
def test_only_the_information_centre_may_read_the_log(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get(reverse("audit-log")).status_code == 403
    assert client.get(reverse("audit-export", args=["csv"])).status_code == 403


def test_visitor_goes_to_login(client, db):
    response = client.get(reverse("audit-log"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_centre_home_links_to_the_viewer(centre):
    assert f'href="{reverse("audit-log")}"' in centre.get(reverse("centre-home")).content.decode()
