import csv
import io
import json

import dbfread
import openpyxl
import pytest

from merezha.core.models import InboxDocument
from merezha.registers.services import days_close
from tests.payments.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(world, pay, make_user):
    """Nov 2 closed with two payments to water: its register in its inbox."""
    pay({"water": "100.00", "sewer": "20.50"}, point=0, when=at("2026-11-02", 10))
    pay({"water": "1234.56"}, point=1, when=at("2026-11-02", 11))
    result = days_close(day=at("2026-11-02").date())
    register = next(r for r in result.registers if r.provider.code == "water")
    return register, make_user("provider", organisation=world.providers["water"])


def test_provider_opens_and_downloads_its_register_in_every_format(client, issued):
    register, user = issued
    doc = register.document
    client.force_login(user)
    page = client.get(f"/inbox/{doc.pk}/")
    assert page.status_code == 200
    assert "Payment register No. 1 of 02.11.2026" in page.content.decode()
    doc.refresh_from_db()
    assert doc.status == "read"

    got = {}
    for fmt in ("csv", "xlsx", "dbf", "json", "pdf"):
        response = client.get(f"/inbox/{doc.pk}/file.{fmt}")
        assert response.status_code == 200, fmt
        assert f'filename="register-water-1-2026-11-02.{fmt}"' in response["Content-Disposition"]
        got[fmt] = response.content
    rows = list(csv.DictReader(io.StringIO(got["csv"].decode("utf-8-sig")), delimiter=";"))
    assert [(r["service"], r["amount"]) for r in rows] == [
        ("water", "100.00"),
        ("sewer", "20.50"),
        ("water", "1234.56"),
    ]
    data = json.loads(got["json"])
    assert (data["number"], data["total"], data["checksum"]) == (1, "1355.06", register.checksum)
    book = openpyxl.load_workbook(io.BytesIO(got["xlsx"]), read_only=True)
    assert [r[-1] for r in book["lines"].iter_rows(min_row=2, values_only=True)] == [100, 20.5, 1234.56]
    path = "/tmp/h5-register-test.dbf"
    with open(path, "wb") as fh:
        fh.write(got["dbf"])
    assert [str(r["SUMMA"]) for r in dbfread.DBF(path, encoding="cp1251")] == ["100.0", "20.5", "1234.56"]
    assert got["pdf"].startswith(b"%PDF-")
    assert client.get(f"/inbox/{doc.pk}/file.xml").status_code == 404


def test_another_organisation_gets_404(client, issued, make_user, world):
    register, _user = issued
    doc = register.document
    for other in (
        make_user("provider", organisation=world.providers["heat"]),
        make_user("cashier", organisation=world.points[0]),
        make_user("admin"),
    ):
        client.force_login(other)
        assert client.get(f"/inbox/{doc.pk}/").status_code == 404
        assert client.get(f"/inbox/{doc.pk}/file.csv").status_code == 404
    client.logout()
    assert client.get(f"/inbox/{doc.pk}/file.csv").status_code == 302  # to the login page


def test_inbox_titles_are_ukrainian_and_the_provider_menu_leads_there(client, issued, ukrainian):
    register, user = issued
    client.force_login(user)
    page = client.get("/inbox/").content.decode()
    assert "Реєстр платежів № 1 за 02.11.2026" in page
    assert f'href="/inbox/{register.document.pk}/"' in page
    assert 'href="/inbox/"' in client.get("/provider/").content.decode()


def test_change_report_and_decision_and_reminder_open_for_their_recipient(client, world, make_user):
    from merezha.housing.services import change_report_issue

    office = world.dwelling.office
    reports = change_report_issue(office=office, month=at("2026-11-01").date())
    water_report = next(r for r in reports if r.provider.code == "water")
    user = make_user("provider", organisation=world.providers["water"])
    client.force_login(user)
    doc = water_report.inbox_document
    assert doc.values == {"office": office.code, "month": "2026-11", "lines": water_report.line_count}
    assert client.get(f"/inbox/{doc.pk}/").status_code == 200
    for fmt in ("csv", "xlsx", "json"):
        assert client.get(f"/inbox/{doc.pk}/file.{fmt}").status_code == 200
    heat_doc = next(r for r in reports if r.provider.code == "heat").inbox_document
    assert client.get(f"/inbox/{heat_doc.pk}/file.csv").status_code == 404
    reminder = InboxDocument.objects.create(
        kind="reminder", sender_code="hub", recipient_code="water", title="x",
        values={"reason": "unacknowledged", "count": 2, "days": 3}, object_type="exchange.reminder",
        object_id="2026-11-02:unacknowledged", checksum="c",
    )  # fmt: skip
    page = client.get(f"/inbox/{reminder.pk}/").content.decode()
    assert "Reminder: 2 documents not acknowledged for more than 3 days" in page
    assert client.get(f"/inbox/{reminder.pk}/file.csv").status_code == 404
