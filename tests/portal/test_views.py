"""The resident's pages, the housing office's actions, batches: who may call what, and what they show."""

from __future__ import annotations

import csv
import io
import json

import pytest

from merezha.core.models import AuditEntry
from merezha.core.services import audit_record
from merezha.organisations.services import api_token_create
from merezha.portal import selectors, services
from merezha.portal.models import BillBatch


def code_of(dwelling):
    services.access_codes_ensure(dwelling_ids=[dwelling.pk])
    return selectors.access_codes(dwelling_ids=[dwelling.pk])[dwelling.pk]


@pytest.fixture
def resident(client, city):
    d = city.dwellings["0001"]
    response = client.post("/resident/", {"code": code_of(d), "account": "W-0001"})
    assert response.status_code == 302 and response["Location"] == "/resident/home/"
    return client


@pytest.mark.parametrize(
    "path", ["/resident/home/", "/resident/payments/", "/resident/looks/", "/resident/bill.pdf"]
)
def test_resident_pages_need_a_resident_session(client, city, path, make_user):
    assert client.get(path)["Location"] == "/resident/"
    client.force_login(make_user("cashier"))  # a staff account is not a resident
    assert client.get(path)["Location"] == "/resident/"


def test_wrong_code_is_a_clear_400_and_ten_lock_the_form(client, city):
    for _n in range(9):
        response = client.post("/resident/", {"code": "WRONG", "account": "W-0001"})
        assert (
            response.status_code == 400
            and b"The access code or the account number is wrong." in response.content
        )
    response = client.post("/resident/", {"code": "WRONG", "account": "W-0001"})
    assert response.status_code == 403 and b"Too many wrong attempts" in response.content
    assert b"<fieldset disabled" in response.content
    right = client.post("/resident/", {"code": code_of(city.dwellings["0001"]), "account": "W-0001"})
    assert right.status_code == 403


def test_resident_sees_debts_with_as_of_payments_and_looks(resident, city, make_user):
    d = city.dwellings["0001"]
    page = resident.get("/resident/home/").content.decode()
    assert "вул. Свободи, 12, кв. 1" in page
    assert "1\u202f200,50 грн" in page and "450,00 грн" in page and "300,00 грн" in page
    as_of = city.accounts["W-0001"].snapshot.payments_through
    assert f"Data as of {as_of:%d.%m.%Y}" in page
    cashier = make_user("cashier")
    audit_record(user=cashier, action="dwelling_lookup", object_type="dwelling", object_id=str(d.pk))
    audit_record(user=cashier, action="dwelling_search", dwelling_ids=[d.pk, 999])
    audit_record(user=cashier, action="dwelling_search", dwelling_ids=[999])
    audit_record(user=cashier, action="household_view", person_ids=[1], dwelling_ids=[d.pk])
    looks = resident.get("/resident/looks/").content.decode()
    assert looks.count('class="card look"') == 3
    assert cashier.organisation.name in looks and "Payment point" in looks
    assert cashier.username not in looks
    assert "No payments through the network yet." in resident.get("/resident/payments/").content.decode()


def test_resident_certificate_is_a_verifiable_pdf(resident, city):
    from merezha.core.models import Certificate

    response = resident.post("/resident/certificate/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    cert = Certificate.objects.get()
    assert cert.subject == f"dwelling:{city.dwellings['0001'].pk}" and cert.issuer_code == "ZHEK-01"
    assert resident.get(f"/verify/{cert.number}/?c={cert.code}").status_code == 200


def test_rotation_by_the_office_ends_the_residents_session(resident, city, make_user, client):
    d = city.dwellings["0001"]
    clerk = make_user("housing", organisation=city.office)
    services.access_code_rotate(office=city.office, dwelling_id=d.pk, user=clerk)
    assert resident.get("/resident/home/")["Location"] == "/resident/"


def test_housing_rotate_button_and_bill(client, city, make_user):
    d = city.dwellings["0001"]
    old = code_of(d)
    clerk = make_user("housing", organisation=city.office)
    client.force_login(clerk)
    page = client.get(f"/housing/dwellings/{d.pk}/").content.decode()
    assert f"/housing/dwellings/{d.pk}/access-code/" in page and f"/housing/dwellings/{d.pk}/bill.pdf" in page
    response = client.post(f"/housing/dwellings/{d.pk}/access-code/", follow=True)
    new = code_of(d)
    assert new != old and selectors.access_code_display(new) in response.content.decode()
    assert AuditEntry.objects.filter(action="portal_code_rotate", object_id=str(d.pk)).count() == 1
    bill = client.get(f"/housing/dwellings/{d.pk}/bill.pdf?layout=a5")
    assert bill.status_code == 200 and bill.content.startswith(b"%PDF")
    assert client.get(f"/housing/dwellings/{d.pk}/bill.pdf?layout=x").status_code == 400


@pytest.mark.parametrize("role", ["cashier", "provider", "subsidy", "manager"])
def test_housing_actions_and_batches_refuse_other_roles(client, city, make_user, role):
    d = city.dwellings["0001"]
    client.force_login(make_user(role))
    assert client.post(f"/housing/dwellings/{d.pk}/access-code/").status_code == 403
    assert client.get(f"/housing/dwellings/{d.pk}/bill.pdf").status_code == 403
    assert client.get("/bills/batches/").status_code == 403
    assert client.post("/bills/batches/").status_code == 403


def test_another_offices_clerk_gets_404(client, city, make_user, make_org):
    d = city.dwellings["0001"]
    client.force_login(make_user("housing", organisation=make_org("housing_office")))
    assert client.post(f"/housing/dwellings/{d.pk}/access-code/").status_code == 404
    assert client.get(f"/housing/dwellings/{d.pk}/bill.pdf").status_code == 404


def test_batches_for_the_office_and_the_whole_city(client, city, make_user, settings, tmp_path):
    settings.HOME = tmp_path
    clerk = make_user("housing", organisation=city.office)
    client.force_login(clerk)
    response = client.post("/bills/batches/", {"layout": "a4x2"})
    assert response.status_code == 302
    batch = BillBatch.objects.get()
    assert batch.office == city.office and batch.status == "queued"
    services.bill_batch_run(batch_id=batch.pk)
    status = client.get(f"/bills/batches/{batch.pk}/").json()
    assert status == {
        "id": batch.pk,
        "status": "done",
        "total": 7,
        "done": 7,
        "offices": ["ZHEK-01"],
        "error": "",
    }
    pdf = client.get(f"/bills/batches/{batch.pk}/ZHEK-01.pdf")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    # the whole city, by the information centre; another office's clerk sees none of it
    admin = make_user("admin")
    client.force_login(admin)
    assert client.post("/bills/batches/", {"office": "NOPE"}).status_code == 400
    client.post("/bills/batches/", {})
    city_batch = BillBatch.objects.filter(office__isnull=True).get()
    assert client.get(f"/bills/batches/{batch.pk}/").status_code == 200
    other = make_user("housing")
    client.force_login(other)
    assert client.get(f"/bills/batches/{batch.pk}/").status_code == 404
    assert client.get(f"/bills/batches/{city_batch.pk}/").status_code == 404
    assert client.get(f"/bills/batches/{batch.pk}/ZHEK-01.pdf").status_code == 404


def test_api_bill_lines_own_accounts_only(client, city, make_user):
    user = make_user("provider", organisation=city.providers["VODO"])
    headers = {"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"}
    body = client.get("/api/v1/bills/lines", headers=headers).json()
    assert body["provider"] == "VODO"
    assert [(r["account"], r["debt"], r["closing"], r["opening"], r["charged"]) for r in body["lines"]] == [
        ("W-0001", "450.00", "450.00", "350.00", "150.00"),
        ("1000123", "99.00", "99.00", "-1.00", "150.00"),
    ]
    assert body["lines"][0]["qr_url"].startswith("https://bank.gov.ua/qr/")
    response = client.get("/api/v1/bills/lines?format=csv", headers=headers)
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["account"] for r in rows] == ["W-0001", "1000123"] and rows[0]["dwelling_code"].startswith("D")
    assert client.get("/api/v1/bills/lines?format=xml", headers=headers).status_code == 400
    cashier = make_user("cashier")
    other = {"Authorization": f"Bearer {api_token_create(user=cashier, name='t')[1]}"}
    assert client.get("/api/v1/bills/lines", headers=other).status_code == 403
    assert client.get("/api/v1/bills/lines").status_code == 401
    assert json.loads(client.get("/api/v1/bills/lines?office=NOPE", headers=headers).content)["lines"] == []


def test_desk_search_opens_the_card_by_the_printed_dwelling_code(client, city, make_user):
    from merezha.search.selectors import dwelling_search

    d = city.dwellings["0007"]
    code = selectors.dwelling_code(d.pk)
    for typed in (code, code.lower(), "В" + code[1:]):
        hits = dwelling_search(query=typed, user=None)
        assert [h.dwelling_id for h in hits] == [d.pk]
    client.force_login(make_user("cashier"))
    assert f"/desk/dwelling/{d.pk}/" in client.get(f"/desk/?q={code}").content.decode()
