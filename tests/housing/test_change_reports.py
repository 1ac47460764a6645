"""The monthly change report: built from the history, routed only to concerned providers, idempotent."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from merezha.core.models import InboxDocument
from merezha.housing import services
from merezha.housing.models import ChangeReport
from merezha.organisations.services import api_token_create

pytestmark = pytest.mark.django_db

NOV = dt.date(2026, 11, 1)


def auth(user):
    return {"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"}


@pytest.fixture
def november(city):
    """Edits made on the pages during October and November."""
    o, u = city.office, city.clerk
    services.person_register(
        office=o,
        dwelling_id=city.dwellings["D2"].pk,
        user=u,
        surname="Петренко",
        name="Софія",
        birth_date=dt.date(2026, 11, 2),
        relation="child",
        registered_from=dt.date(2026, 11, 5),
        born=True,
    )
    services.dwelling_area_change(
        office=o,
        dwelling_id=city.dwellings["D4"].pk,
        user=u,
        area=Decimal("72.10"),
        date=dt.date(2026, 11, 10),
    )
    services.person_deregister(
        office=o, person_id=city.persons["petro"].pk, user=u, date=dt.date(2026, 11, 15), reason="died"
    )
    services.person_benefit_change(
        office=o, person_id=city.persons["oleh"].pk, user=u, benefit_code="PENS", date=dt.date(2026, 11, 16)
    )
    # not reported: a relation change, and an October arrival
    services.person_relation_change(
        office=o, person_id=city.persons["olena"].pk, user=u, relation="head", date=dt.date(2026, 11, 15)
    )
    services.person_register(
        office=o,
        dwelling_id=city.dwellings["D3"].pk,
        user=u,
        surname="Мельник",
        registered_from=dt.date(2026, 10, 20),
    )
    # another office's change never reaches ZHEK-1's reports
    services.person_deregister(
        office=city.other_office,
        person_id=city.persons["ivan"].pk,
        user=city.other_clerk,
        date=dt.date(2026, 11, 3),
        reason="moved_out",
    )
    return city


def brief(report):
    return [
        (
            x["event"],
            x["dwelling"],
            x["accounts"],
            x["surname"],
            x["old_value"],
            x["new_value"],
            x["registered"],
        )
        for x in report.lines
    ]


def test_each_provider_gets_only_its_dwellings(november):
    city = november
    reports = services.change_report_issue(office=city.office, month=NOV, user=city.clerk)
    assert [(r.provider.code, r.line_count) for r in reports] == [("RENT-P", 3), ("WATER-P", 2)]
    rent, water = reports
    assert brief(rent) == [
        ("born", "D2", "R2", "Петренко", "", "", 2),
        ("area", "D4", "R4", "", "70.00", "72.10", 2),
        ("died", "D1", "R1", "Іваненко", "", "died", 2),
    ]
    assert brief(water) == [
        ("area", "D4", "W4", "", "70.00", "72.10", 2),
        ("died", "D1", "W1", "Іваненко", "", "died", 2),
    ]
    first = rent.lines[0]
    assert first == {
        "line": 1,
        "effective_date": "2026-11-05",
        "event": "born",
        "dwelling": "D2",
        "street": "вул. Свободи",
        "house": "1",
        "apartment": "2",
        "accounts": "R2",
        "surname": "Петренко",
        "name": "Софія",
        "patronymic": "",
        "birth_date": "2026-11-02",
        "tax_id": "",
        "old_value": "",
        "new_value": "",
        "registered": 2,
        "area": "60.00",
        "source": "manual",
        "change_id": first["change_id"],
    }
    # D5 has no rent account: its benefit change goes to nobody; HEAT-P has accounts only in ZHEK-2
    assert not ChangeReport.objects.filter(provider=city.heat).exists()
    other = services.change_report_issue(office=city.other_office, month=NOV)
    assert [(r.provider.code, brief(r)) for r in other] == [
        ("HEAT-P", [("left", "D6", "H6", "Бондар", "", "moved_out", 0)]),
        ("RENT-P", [("left", "D6", "R6", "Бондар", "", "moved_out", 0)]),
    ]


def test_inbox_documents_with_checksum_and_idempotent_reissue(november, monkeypatch):
    city = november
    reports = services.change_report_issue(office=city.office, month=NOV)
    docs = InboxDocument.objects.filter(kind="change_report").order_by("recipient_code")
    assert [(d.sender_code, d.recipient_code, d.title) for d in docs] == [
        ("ZHEK-1", "RENT-P", "Change report of ZHEK-1 for 11.2026: 3 changes"),
        ("ZHEK-1", "WATER-P", "Change report of ZHEK-1 for 11.2026: 2 changes"),
    ]
    from merezha.housing.selectors import change_report_csv_bytes

    for r in reports:
        assert r.checksum == hashlib.sha256(change_report_csv_bytes(lines=r.lines)).hexdigest()
        assert r.inbox_document.checksum == r.checksum and r.inbox_document.object_id == str(r.pk)
    # a later change dated in November does not alter the issued reports, and issuing again adds nothing
    services.person_deregister(
        office=city.office,
        person_id=city.persons["maria"].pk,
        user=city.clerk,
        date=dt.date(2026, 11, 20),
        reason="moved_out",
    )
    again = services.change_report_issue(office=city.office, month=NOV)
    assert [(r.pk, r.line_count, r.checksum) for r in again] == [
        (r.pk, r.line_count, r.checksum) for r in reports
    ]
    assert (ChangeReport.objects.count(), InboxDocument.objects.count()) == (2, 2)
    # ... it goes with the next month's report as a late change, so it is never lost
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2026, 12, 7))
    december = services.change_report_issue(office=city.office, month=dt.date(2026, 12, 1))
    assert [(r.provider.code, brief(r)) for r in december] == [
        ("RENT-P", [("left", "D1", "R1", "Іваненко", "", "moved_out", 1)]),
        ("WATER-P", [("left", "D1", "W1", "Іваненко", "", "moved_out", 1)]),
    ]


def test_imported_changes_are_reported_too(city):
    from merezha.registry.models import RegisterChange

    RegisterChange.objects.create(
        office=city.office,
        dwelling=city.dwellings["D1"],
        person=city.persons["maria"],
        kind="left",
        effective_date=dt.date(2026, 11, 3),
        source="import:7",
    )
    (rent, water) = services.change_report_issue(office=city.office, month=NOV)
    assert [(x["event"], x["source"]) for x in rent.lines] == [("left", "import")]


def test_command(november, capsys):
    call_command("change-reports", "--month", "2026-11", "--office", "ZHEK-1")
    out = capsys.readouterr().out
    assert "ZHEK-1 → RENT-P 2026-11: 3 change(s)" in out and "offices 1, reports 2, changes 5" in out
    call_command("change-reports", "--month", "2026-11")
    assert "offices 2, reports 4, changes 7" in capsys.readouterr().out
    with pytest.raises(CommandError, match="--month: not a period"):
        call_command("change-reports", "--month", "2026-13")
    with pytest.raises(
        CommandError, match=r"^--office: unknown housing office 'NOPE': known codes are ZHEK-1, ZHEK-2 "
    ):
        call_command("change-reports", "--month", "2026-11", "--office", "NOPE")


def test_provider_downloads_csv_xlsx_json(november, client):
    city = november
    rent, water = services.change_report_issue(office=city.office, month=NOV)
    client.force_login(city.rent_user)
    page = client.get("/change-reports/")
    assert page.status_code == 200 and "ZHEK-1" in page.content.decode()
    r = client.get(f"/change-reports/{rent.pk}/download/?format=csv")
    assert r.status_code == 200
    body = b"".join(r.streaming_content) if r.streaming else r.content
    assert hashlib.sha256(body).hexdigest() == rent.checksum
    rows = list(csv.DictReader(io.StringIO(body.decode()), delimiter=";"))
    assert [(x["line"], x["event"], x["accounts"]) for x in rows] == [
        ("1", "born", "R2"),
        ("2", "area", "R4"),
        ("3", "died", "R1"),
    ]
    x = client.get(f"/change-reports/{rent.pk}/download/?format=xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
    assert [c.value for c in ws[1]][:3] == ["line", "effective_date", "event"] and ws.max_row == 4
    assert client.get(f"/change-reports/{water.pk}/download/").status_code == 404
    assert client.get(f"/change-reports/{rent.pk}/download/?format=pdf").status_code == 400


def test_api_routes(november, client):
    city = november
    rent, water = services.change_report_issue(office=city.office, month=NOV)
    h = auth(city.water_user)
    listed = client.get("/api/v1/change-reports", headers=h).json()
    assert [(x["id"], x["office"], x["month"], x["count"], x["checksum"]) for x in listed] == [
        (water.pk, "ZHEK-1", "2026-11", 2, water.checksum)
    ]
    one = client.get(f"/api/v1/change-reports/{water.pk}?format=json", headers=h)
    doc = json.loads(one.content)
    assert (doc["provider"], doc["count"], [x["event"] for x in doc["rows"]]) == (
        "WATER-P",
        2,
        ["area", "died"],
    )
    csv_body = client.get(f"/api/v1/change-reports/{water.pk}?format=csv", headers=h).content
    assert hashlib.sha256(csv_body).hexdigest() == water.checksum
    assert client.get(f"/api/v1/change-reports/{rent.pk}?format=csv", headers=h).status_code == 404
    assert client.get(f"/api/v1/change-reports/{water.pk}?format=dbf", headers=h).status_code == 400
    clerk = auth(city.clerk)
    assert client.get("/api/v1/change-reports", headers=clerk).status_code == 403
    assert client.get(f"/api/v1/change-reports/{water.pk}", headers=clerk).status_code == 403
    # acknowledged through the inbox
    ack = client.post(f"/api/v1/inbox/{water.inbox_document_id}/acknowledge", headers=h)
    assert ack.json()["status"] == "acknowledged"


def test_office_page_issues_and_lists(november, clerk_client):
    assert clerk_client.post("/housing/change-reports/", {"month": "2026-13"}).status_code == 400
    asked = clerk_client.post("/housing/change-reports/", {"month": "2026-11"})
    assert asked.status_code == 200 and ChangeReport.objects.count() == 0  # it asks first
    r = clerk_client.post("/housing/change-reports/", {"month": "2026-11", "confirm": "1"})
    assert r.status_code == 302
    page = clerk_client.get("/housing/change-reports/").content.decode()
    assert "RENT-P" in page and "WATER-P" in page
    rep = ChangeReport.objects.get(provider__code="RENT-P")
    assert clerk_client.get(f"/housing/change-reports/{rep.pk}/download/?format=csv").status_code == 200
    other = services.change_report_issue(office=november.other_office, month=NOV)[0]
    assert clerk_client.get(f"/housing/change-reports/{other.pk}/download/?format=csv").status_code == 404


def test_a_change_on_the_page_reaches_each_concerned_provider_and_nobody_else(city, client):
    """Issue 7, "done when": an edit on the page appears in the next monthly report of every provider
    with an account in that dwelling, and in no other report."""
    client.force_login(city.clerk)
    d4 = city.dwellings["D4"].pk  # rent R4 and water W4
    d2 = city.dwellings["D2"].pk  # rent R2 only
    assert (
        client.post(f"/housing/dwellings/{d4}/area/", {"area": "75", "date": "2026-11-03"}).status_code == 302
    )
    assert (
        client.post(
            f"/housing/persons/{city.persons['hanna'].pk}/benefit/", {"benefit": "", "date": "2026-11-04"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"/housing/dwellings/{d2}/register/", {"surname": "Гнатюк", "registered_from": "2026-11-05"}
        ).status_code
        == 302
    )
    assert client.post("/housing/change-reports/", {"month": "2026-11", "confirm": "1"}).status_code == 302
    got = {
        r.provider.code: [(x["event"], x["dwelling"], x["old_value"], x["new_value"]) for x in r.lines]
        for r in ChangeReport.objects.all()
    }
    assert got == {
        "RENT-P": [
            ("area", "D4", "70.00", "75.00"),
            ("benefit", "D2", "PENS", ""),
            ("arrived", "D2", "", ""),
        ],
        "WATER-P": [("area", "D4", "70.00", "75.00")],
    }
    # the provider sees it in its inbox, nobody else has it
    client.force_login(city.water_user)
    inbox = client.get("/inbox/").content.decode()
    assert "Change report of ZHEK-1 for 11.2026: 1 change" in inbox
    assert InboxDocument.objects.filter(recipient_code="HEAT-P").count() == 0


def test_a_first_register_brings_no_arrivals_and_a_later_arrival_its_own_date(
    sample_streets, samples, make_org, tmp_path
):
    """A first import is the register's starting state: the month's report is empty. A later
    arrival is reported on the registration date the file gives."""
    from merezha.providers.models import Account
    from merezha.providers.services import snapshot_import
    from merezha.registry.services import registry_import

    office = make_org("housing_office", code="ZHEK-01")
    water = make_org("provider", code="water")
    register = samples / "registry-ZHEK-01.csv"
    registry_import(str(register), office=office, today=dt.date(2026, 10, 5))
    snapshot_import(
        str(samples / "snapshot-water-2026-10.csv"),
        provider=water,
        period=dt.date(2026, 10, 1),
        payments_through=dt.date(2026, 10, 31),
    )
    [october] = services.change_report_issue(office=office, month=dt.date(2026, 10, 1))
    assert (october.provider.code, october.lines) == ("water", [])

    # the next register: one more person in a dwelling with a water account, registered on 25 November
    dwelling = Account.objects.filter(provider=water, dwelling__office=office).order_by("number")[0].dwelling
    header, *rows = register.read_text(encoding="cp1251").splitlines()
    row = next(r for r in rows if r.split(";")[0] == dwelling.office_ref).split(";")
    arrival = ";".join([*row[:5], "Нова", "Олена", "Петрівна", "1990-04-04", "", "", "", "2026-11-25"])
    nxt = tmp_path / "registry-ZHEK-01-next.csv"
    nxt.write_text("\n".join([header + ";registered_from", *rows, arrival]) + "\n", encoding="cp1251")
    report = registry_import(str(nxt), office=office, today=dt.date(2026, 11, 26))
    assert report.changes == {"arrived": 1}

    [november] = services.change_report_issue(office=office, month=NOV)
    assert [
        (x["event"], x["effective_date"], x["dwelling"], x["surname"], x["name"]) for x in november.lines
    ] == [("arrived", "2026-11-25", dwelling.office_ref, "Нова", "Олена")]


def test_a_month_that_has_not_begun_is_refused_and_nothing_is_sent(city):
    with pytest.raises(services.RegisterEditError) as err:
        services.change_report_issue(office=city.office, month=dt.date(2026, 12, 1))
    assert str(err.value) == "month: the month 2026-12 has not begun: there is nothing to report yet"
    assert (ChangeReport.objects.count(), InboxDocument.objects.count()) == (0, 0)
