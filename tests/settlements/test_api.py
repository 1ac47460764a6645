"""The settlement API: orders and their files, statement upload, reconciliation; who may call what."""

from __future__ import annotations

import io
from xml.etree import ElementTree as ET

import openpyxl
import pytest

from merezha.core.roles import Role
from merezha.organisations.services import api_token_create
from tests.settlements.conftest import DAY, iban

pytestmark = pytest.mark.django_db
P = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


def bearer(user):
    return {"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"}


def test_only_admins_and_providers_may_call(client, city, closed_day, make_user):
    for role in (Role.CASHIER, Role.SUBSIDY, Role.HOUSING, Role.MANAGER):
        h = bearer(make_user(role))
        for url in (
            f"/api/v1/settlement/orders?day={DAY}",
            f"/api/v1/settlement/orders/file?day={DAY}",
            f"/api/v1/settlement/reconciliation?day={DAY}",
            f"/api/v1/settlement/reconciliation.xlsx?day={DAY}",
        ):
            assert client.get(url, headers=h).status_code == 403, (role, url)
        r = client.post("/api/v1/settlement/statements", {"file": io.BytesIO(b"x")}, headers=h)
        assert r.status_code == 403
    assert client.get(f"/api/v1/settlement/orders?day={DAY}").status_code == 401


def test_a_provider_sees_only_its_own(client, city, closed_day):
    h = bearer(city.users["VODA"])
    r = client.get(f"/api/v1/settlement/orders?day={DAY}", headers=h)
    assert r.status_code == 200
    assert {o["provider"] for o in r.json()} == {"VODA"} and len(r.json()) == 6
    assert client.get(f"/api/v1/settlement/orders?day={DAY}&provider=TEPLO", headers=h).status_code == 404
    assert (
        client.get(f"/api/v1/settlement/reconciliation?day={DAY}&provider=TEPLO", headers=h).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/settlement/reconciliation.xlsx?day={DAY}&provider=TEPLO", headers=h).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/settlement/orders/file?day={DAY}&provider=TEPLO", headers=h).status_code == 404
    )
    rec = client.get(f"/api/v1/settlement/reconciliation?day={DAY}", headers=h).json()
    assert {row["provider"] for row in rec["rows"]} == {"VODA"}
    # the admin sees both
    admin = bearer(city.users["admin"])
    assert len(client.get(f"/api/v1/settlement/orders?day={DAY}", headers=admin).json()) == 9
    assert client.get(f"/api/v1/settlement/orders?day={DAY}&provider=NOPE", headers=admin).status_code == 404


def test_pain001_export_reads_back_with_the_documented_paths(client, city, closed_day):
    r = client.get(
        f"/api/v1/settlement/orders/file?day={DAY}&provider=TEPLO", headers=bearer(city.users["admin"])
    )
    assert r.status_code == 200
    root = ET.fromstring(b"".join(r.streaming_content))
    assert root.tag == "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.09}Document"
    hdr = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", P)
    assert (hdr.findtext("p:NbOfTxs", namespaces=P), hdr.findtext("p:CtrlSum", namespaces=P)) == (
        "3",
        "3179.77",
    )
    txs = [
        (
            pmt.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=P),
            tx.findtext("p:Amt/p:InstdAmt", namespaces=P),
            tx.find("p:Amt/p:InstdAmt", P).get("Ccy"),
            tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=P),
            tx.findtext("p:Cdtr/p:Id/p:OrgId/p:Othr/p:Id", namespaces=P),
            tx.findtext("p:RmtInf/p:Ustrd", namespaces=P),
        )
        for pmt in root.findall("p:CstmrCdtTrfInitn/p:PmtInf", P)
        for tx in pmt.findall("p:CdtTrfTxInf", P)
    ]
    heat = city.ibans["TEPLO:heat"]
    purpose = "Оплата за житлово-комунальні послуги згідно реєстру № 1 від 02.11.2026, "
    assert sorted(txs) == sorted(
        [
            (iban(11), "1000.00", "UAH", heat, "23456789", purpose + "пункт P001"),
            (iban(12), "333.33", "UAH", heat, "23456789", purpose + "пункт P002"),
            (iban(20), "1846.44", "UAH", heat, "23456789", purpose + "агент POST"),
        ]
    )


def test_csv_export(client, city, closed_day):
    r = client.get(
        f"/api/v1/settlement/orders/file?day={DAY}&format=csv", headers=bearer(city.users["TEPLO"])
    )
    lines = b"".join(r.streaming_content).decode().splitlines()
    assert lines[0].split(";")[:4] == ["number", "end_to_end_id", "provider", "operational_day"]
    assert len(lines) == 4 and lines[3].split(";")[10:14] == ["1874.56", "28.12", "1846.44", "UAH"]


def test_statement_upload_and_reconciliation(client, city, closed_day):
    h = bearer(city.users["TEPLO"])
    heat = city.ibans["TEPLO:heat"]
    csv = (
        "statement_id;account_iban;value_date;amount;payer_iban;purpose\r\n"
        f"S-1;{heat};03.11.2026;1000.00;{iban(11)};згідно реєстру № 1 від 02.11.2026, пункт P001\r\n"
        f"S-1;{heat};2026-11-03;5.00;{iban(77)};невідомо\r\n"
    ).encode()
    r = client.post("/api/v1/settlement/statements", {"file": io.BytesIO(csv)}, headers=h)
    assert r.status_code == 201, r.content
    assert r.json() == {
        "statement_id": "S-1",
        "created": True,
        "credits": 2,
        "total": "1005.00",
        "matched": 1,
        "unexpected": 1,
    }
    again = client.post("/api/v1/settlement/statements", {"file": io.BytesIO(csv)}, headers=h)
    assert again.status_code == 200 and again.json()["created"] is False
    bad = client.post(
        "/api/v1/settlement/statements", {"file": io.BytesIO(b"statement_id;x\r\n1;2\r\n")}, headers=h
    )
    assert bad.status_code == 422 and "missing column" in bad.json()["detail"]
    rec = client.get(f"/api/v1/settlement/reconciliation?day={DAY}", headers=h).json()
    by_payer = {row["payer"]: row for row in rec["rows"]}
    assert by_payer["P001"]["status"] == "matched" and by_payer["P001"]["credited"] == "1000.00"
    assert by_payer["P001"]["takings"] == by_payer["P001"]["registered"] == "1000.00"
    assert by_payer["P001"]["acknowledged"] == "delivered" and by_payer["P001"]["ok"] is False
    assert by_payer["POST"]["points"] == ["P003", "P004"] and by_payer["POST"]["takings"] == "1874.56"
    assert [c["amount"] for c in rec["unexpected"]] == ["5.00"]
    x = client.get(f"/api/v1/settlement/reconciliation.xlsx?day={DAY}", headers=h)
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(x.streaming_content)))
    ws = wb["Звірка"]
    assert ws.cell(1, 1).value == "День" and ws.cell(1, 11).value == "Зараховано банком, грн"
    rows = {r[2]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["P001"][10] == 1000 and rows["P001"][11] == "зараховано"
