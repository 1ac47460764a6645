"""API: roles (403), scope (404), debt status, certificates, batch checks, decisions with Idempotency-Key."""

import pytest

from merezha.core.models import AuditEntry, Certificate, InboxDocument
from merezha.subsidies.models import BatchCheck, SubsidyDecision
from tests.idempotency import CONFLICT, TOO_LONG, assert_replayed, kept

from .conftest import TAX_ID

pytestmark = pytest.mark.django_db
FOUR = {"2026-10": "300", "2026-09": "300", "2026-08": "300", "2026-07": "680"}


@pytest.fixture
def h(city, bearer):
    return bearer(city.subsidy)


@pytest.mark.parametrize("role", ["provider", "housing", "cashier", "manager"])
def test_other_roles_get_403(client, city, make_user, bearer, role):
    headers = bearer(make_user(role))
    for url in (
        "/api/v1/subsidy/debt-status?dwelling_id=1",
        "/api/v1/subsidy/batch-checks",
        "/api/v1/subsidy/decisions",
    ):
        assert client.get(url, headers=headers).status_code == 403, url
    assert client.post(
        "/api/v1/subsidy/decisions", content_type="application/json", data={}, headers=headers
    ).status_code in (403, 422)
    assert (
        client.post(
            "/api/v1/subsidy/certificates",
            content_type="application/json",
            data={"dwelling_id": 1},
            headers=headers,
        ).status_code
        == 403
    )


def test_debt_status_by_tax_id_address_and_id(client, city, h):
    city.account("TEPLO", "heat", "1580.01", FOUR, number="H-1")
    by_tax = client.get(f"/api/v1/subsidy/debt-status?tax_id={TAX_ID}&date=2026-11-15", headers=h)
    assert by_tax.status_code == 200
    data = by_tax.json()
    assert (data["dwelling_id"], data["status"], data["overdue_total"], data["threshold"]) == (
        city.dwelling.pk,
        "blocked",
        "680.01",
        "680.00",
    )
    assert data["accounts"][0] == {
        "account_id": data["accounts"][0]["account_id"],
        "provider": "TEPLO",
        "provider_name": "TEPLO",
        "service": "heat",
        "account": "H-1",
        "period": "2026-10",
        "as_of": "2026-10-31",
        "debt": "1580.01",
        "billed_recent": "900.00",
        "overdue": "680.01",
        "months_in_debt": 4,
        "months_beyond_history": True,
        "exempt": False,
        "exemption": None,
    }
    assert data["parameters"]["valid_from"] == "2025-01-01"
    large = client.get(
        "/api/v1/subsidy/debt-status?address=Шевченка 10 кв 5&date=15.11.2026&family_type=large", headers=h
    ).json()
    assert (large["status"], large["threshold"]) == ("clear", "4000.00")
    assert (
        client.get(f"/api/v1/subsidy/debt-status?dwelling_id={city.other.pk}", headers=h).json()["status"]
        == "clear"
    )
    assert AuditEntry.objects.filter(action="subsidy.debt_status").count() == 3
    assert AuditEntry.objects.filter(action="subsidy.search").count() == 2


def test_debt_status_bad_input(client, city, h):
    get = lambda q: client.get(f"/api/v1/subsidy/debt-status?{q}", headers=h)  # noqa: E731
    assert get("").status_code == 400
    assert get("tax_id=1111111118").status_code == 404
    assert get("dwelling_id=999999").status_code == 404
    assert get(f"dwelling_id={city.dwelling.pk}&date=2026-13-01").status_code == 400
    assert get(f"dwelling_id={city.dwelling.pk}&family_type=royal").status_code == 400
    assert get(f"dwelling_id={city.dwelling.pk}&date=2024-01-01").status_code == 422


def test_admin_reads_but_cannot_issue(client, city, make_user, bearer):
    headers = bearer(make_user("admin"))
    assert (
        client.get(f"/api/v1/subsidy/debt-status?dwelling_id={city.dwelling.pk}", headers=headers).status_code
        == 200
    )
    assert client.get("/api/v1/subsidy/decisions", headers=headers).status_code == 200
    r = client.post(
        "/api/v1/subsidy/certificates",
        content_type="application/json",
        data={"dwelling_id": city.dwelling.pk},
        headers=headers,
    )
    assert r.status_code == 403


def test_certificate_issue_and_pdf(client, city, h, make_user, bearer):
    city.account("TEPLO", "heat", "10.00", FOUR)
    r = client.post(
        "/api/v1/subsidy/certificates",
        content_type="application/json",
        data={"dwelling_id": city.dwelling.pk, "date": "2026-11-15"},
        headers=h,
    )
    assert r.status_code == 201
    body = r.json()
    assert body["verify_url"] == f"http://testserver/verify/{body['number']}/?c={body['code']}"
    pdf = client.get(body["pdf_url"], headers=h)
    assert (pdf.status_code, pdf.content[:4]) == (200, b"%PDF")
    assert client.get(body["pdf_url"], headers=bearer(make_user("subsidy"))).status_code == 404
    assert client.get(body["verify_url"]).status_code == 200


def test_batch_check_upload_and_files(client, city, h, make_user, bearer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    city.account("TEPLO", "heat", "1580.01", FOUR)
    upload = SimpleUploadedFile("list.csv", f"tax_id;family_type\n{TAX_ID};\n;\n1111111118;\n".encode())
    r = client.post("/api/v1/subsidy/batch-checks", {"file": upload, "date": "2026-11-15"}, headers=h)
    assert r.status_code == 201, r.content
    body = r.json()
    assert (
        body["rows_read"],
        body["matched"],
        body["unmatched"],
        body["blocked"],
        body["parameters_from"],
    ) == (
        2,
        1,
        1,
        1,
        "2025-01-01",
    )
    lines = client.get(body["csv_url"], headers=h).content.decode().splitlines()
    assert lines[1].split(";")[4:8] == [
        "matched",
        str(city.dwelling.pk),
        "вул. Шевченка, 10, кв. 5",
        "blocked",
    ]
    assert lines[2].split(";")[4] == "unmatched"
    assert client.get(body["xlsx_url"], headers=h).content[:2] == b"PK"
    assert (
        client.get(f"/api/v1/subsidy/batch-checks/{body['id']}/file?format=pdf", headers=h).status_code == 400
    )
    assert [c["id"] for c in client.get("/api/v1/subsidy/batch-checks", headers=h).json()] == [body["id"]]
    other = bearer(make_user("subsidy"))
    assert client.get(f"/api/v1/subsidy/batch-checks/{body['id']}", headers=other).status_code == 404
    assert client.get("/api/v1/subsidy/batch-checks", headers=other).json() == []
    bad = SimpleUploadedFile("x.csv", b"")
    assert client.post("/api/v1/subsidy/batch-checks", {"file": bad}, headers=h).status_code == 400


@pytest.fixture
def four(city):
    for provider, service in (
        ("VODO", "water"),
        ("VODO", "sewer"),
        ("TEPLO", "heat"),
        ("ZHEK", "rent"),
        ("ECO", "waste"),
    ):
        city.account(provider, service, "0", number=f"{provider}-1")
    return city


BODY = {
    "decision": "A-1",
    "tax_id": TAX_ID,
    "address": "вул. Шевченка, 10, кв. 5",
    "period_from": "2026-11",
    "period_to": "2027-04",
    "lines": [
        {"service": "water", "monthly_amount": "10.00"},
        {"service": "sewer", "monthly_amount": "5.00"},
        {"service": "heat", "monthly_amount": "900.00"},
        {"service": "rent", "monthly_amount": "200.00"},
        {"service": "waste", "monthly_amount": "30.00"},
    ],
}


def test_decision_post_routes_four_documents_and_providers_acknowledge(client, four, h, make_user, bearer):
    assert (
        client.post(
            "/api/v1/subsidy/decisions", content_type="application/json", data=BODY, headers=h
        ).status_code
        == 422
    )  # no key
    headers = {**h, "Idempotency-Key": "a-1"}
    r = client.post("/api/v1/subsidy/decisions", content_type="application/json", data=BODY, headers=headers)
    assert r.status_code == 201, r.content
    data = r.json()
    assert [(d["provider"], [x["service"] for x in d["lines"]], d["status"]) for d in data["deliveries"]] == [
        ("ECO", ["waste"], "delivered"),
        ("TEPLO", ["heat"], "delivered"),
        ("VODO", ["water", "sewer"], "delivered"),
        ("ZHEK", ["rent"], "delivered"),
    ]
    again = client.post(
        "/api/v1/subsidy/decisions", content_type="application/json", data=BODY, headers=headers
    )
    assert (again.status_code, again.json()["id"]) == (200, data["id"])
    conflict = client.post(
        "/api/v1/subsidy/decisions",
        content_type="application/json",
        data={**BODY, "period_to": "2027-05"},
        headers=headers,
    )
    assert conflict.status_code == 409
    assert InboxDocument.objects.count() == 4
    # the provider reads its part and acknowledges it through the inbox API
    vodo = make_user("provider", organisation=four.providers["VODO"])
    pv = bearer(vodo)
    inbox = client.get("/api/v1/inbox?kind=subsidy_decision", headers=pv).json()
    assert len(inbox) == 1 and inbox[0]["object_id"] == str(data["id"])
    part = client.get(f"/api/v1/subsidy/decisions/{data['id']}/part", headers=pv).json()
    assert [x["service"] for x in part["lines"]] == ["water", "sewer"]
    assert part["checksum"] == inbox[0]["checksum"]
    other_provider = bearer(make_user("provider"))
    assert (
        client.get(f"/api/v1/subsidy/decisions/{data['id']}/part", headers=other_provider).status_code == 404
    )
    assert client.get(f"/api/v1/subsidy/decisions/{data['id']}/part", headers=h).status_code == 403
    client.post(f"/api/v1/inbox/{inbox[0]['id']}/acknowledge", headers=pv)
    seen = client.get(f"/api/v1/subsidy/decisions/{data['id']}", headers=h).json()
    assert {d["provider"]: d["status"] for d in seen["deliveries"]} == {
        "ECO": "delivered",
        "TEPLO": "delivered",
        "VODO": "acknowledged",
        "ZHEK": "delivered",
    }
    assert (
        client.get(
            f"/api/v1/subsidy/decisions/{data['id']}", headers=bearer(make_user("subsidy"))
        ).status_code
        == 404
    )


def test_decision_post_rejected_with_every_error(client, four, h):
    body = {
        **BODY,
        "decision": "A-2",
        "period_from": "26-11",
        "lines": [{"service": "gas", "monthly_amount": "x"}],
    }
    r = client.post(
        "/api/v1/subsidy/decisions",
        content_type="application/json",
        data=body,
        headers={**h, "Idempotency-Key": "a-2"},
    )
    assert r.status_code == 422
    assert r.json() == {
        "detail": "nothing was applied: 2 error(s)",
        "errors": [
            {"line": 1, "column": "monthly_amount", "reason": "not an amount: 'x'"},
            {"line": 1, "column": "period_from", "reason": "not a period: '26-11' (expected YYYY-MM)"},
        ],
    }
    assert not SubsidyDecision.objects.exists()
    # the key was not spent on a rejected request
    ok = client.post(
        "/api/v1/subsidy/decisions",
        content_type="application/json",
        data={**BODY, "decision": "A-2"},
        headers={**h, "Idempotency-Key": "a-2"},
    )
    assert ok.status_code == 201


def test_decision_upload(client, four, h):
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = (
        "decision,tax_id,dwelling_id,address,period_from,period_to,service,monthly_amount\n"
        f'U-1,{TAX_ID},{four.dwelling.pk},,2026-11,2027-04,heat,"1 200,50"\n'
        f"U-1,{TAX_ID},{four.dwelling.pk},,2026-11,2027-04,rent,100\n"
    )
    r = client.post(
        "/api/v1/subsidy/decisions/upload", {"file": SimpleUploadedFile("d.csv", text.encode())}, headers=h
    )
    assert r.status_code == 201, r.content
    assert [(d["decision"], d["lines"]) for d in r.json()["decisions"]] == [
        (
            "U-1",
            [
                {"service": "heat", "monthly_amount": "1200.50"},
                {"service": "rent", "monthly_amount": "100.00"},
            ],
        )
    ]
    r = client.post(
        "/api/v1/subsidy/decisions/upload", {"file": SimpleUploadedFile("d.csv", text.encode())}, headers=h
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"line": 2, "column": "decision", "reason": "decision U-1 is already recorded"}
    ]


def test_control_characters_never_reach_the_database(client, four, h):
    body = {**BODY, "decision": "A-\x009", "address": "вул. Шевченка,\x00 10, кв. 5"}
    r = client.post(
        "/api/v1/subsidy/decisions",
        content_type="application/json",
        data=body,
        headers={**h, "Idempotency-Key": "nul"},
    )
    assert r.status_code == 201, r.content
    assert r.json()["decision"] == "A- 9"
    r = client.get("/api/v1/subsidy/debt-status?address=Шевченка%0010 кв 5", headers=h)
    assert (r.status_code, r.json()) == (
        400,
        {"detail": "the query string contains a NUL character (%00), which no field accepts"},
    )


# --- Idempotency-Key on the certificate, the batch check and the decisions upload ------------------


def with_key(headers, key):
    return {**headers, "Idempotency-Key": key}


def certificate(client, headers, **body):
    return client.post(
        "/api/v1/subsidy/certificates", content_type="application/json", data=body, headers=headers
    )


def test_certificate_retry_with_the_key_returns_the_first_certificate(client, city, h):
    city.account("TEPLO", "heat", "10.00", FOUR)
    body = {"dwelling_id": city.dwelling.pk, "date": "2026-11-15"}
    first = certificate(client, with_key(h, "cert-1"), **body)
    assert first.status_code == 201
    number = first.json()["number"]
    assert first.json()["pdf_url"] == f"/api/v1/subsidy/certificates/{number}/pdf"
    again = certificate(client, with_key(h, "cert-1"), **body)
    assert_replayed(first, again)
    assert Certificate.objects.count() == 1
    assert AuditEntry.objects.filter(action="subsidy.certificate_issue").count() == 1
    r = certificate(client, with_key(h, "cert-1"), **{**body, "date": "2026-11-16"})
    assert (r.status_code, r.json()) == (409, CONFLICT)
    assert Certificate.objects.count() == 1
    # without a key, as before: every call issues a certificate
    assert certificate(client, h, **body).json()["number"] != number
    assert Certificate.objects.count() == 2
    assert kept("subsidy-certificate") == [
        (f"subsidy-certificate:{city.subsidy.organisation_id}", "cert-1", 201)
    ]


def test_certificate_refused_keeps_no_key(client, city, h):
    r = certificate(client, with_key(h, "cert-1"), dwelling_id=999_999)
    assert (r.status_code, r.json()) == (404, {"detail": "no such active dwelling"})
    r = certificate(client, with_key(h, "cert-1"), dwelling_id=city.dwelling.pk, family_type="big")
    assert (r.status_code, r.json()) == (
        400,
        {"detail": "family_type must be one of regular, large, foster, family_home"},
    )
    assert kept("subsidy-certificate") == [] and Certificate.objects.count() == 0
    r = certificate(client, with_key(h, "cert-1"), dwelling_id=city.dwelling.pk)
    assert r.status_code == 201 and Certificate.objects.count() == 1


def test_certificate_keys_of_two_offices_are_independent(client, city, h, make_user, bearer):
    other = bearer(make_user("subsidy"))
    a = certificate(client, with_key(h, "same"), dwelling_id=city.dwelling.pk)
    b = certificate(client, with_key(other, "same"), dwelling_id=city.dwelling.pk)
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["number"] != b.json()["number"]
    assert Certificate.objects.count() == 2
    r = certificate(client, with_key(h, "c" * 129), dwelling_id=city.dwelling.pk)
    assert (r.status_code, r.json()) == (422, TOO_LONG)


def batch(client, headers, content: bytes, name="list.csv", **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/api/v1/subsidy/batch-checks", {"file": SimpleUploadedFile(name, content), **fields}, headers=headers
    )


LIST = f"tax_id;family_type\n{TAX_ID};\n1111111118;\n".encode()


def test_batch_check_retry_with_the_key_returns_the_first_check(client, city, h):
    city.account("TEPLO", "heat", "1580.01", FOUR)
    first = batch(client, with_key(h, "bc-1"), LIST, date="2026-11-15")
    assert first.status_code == 201
    assert {
        k: first.json()[k] for k in ("file_name", "application_date", "rows_read", "matched", "blocked")
    } == {
        "file_name": "list.csv",
        "application_date": "2026-11-15",
        "rows_read": 2,
        "matched": 1,
        "blocked": 1,
    }
    again = batch(client, with_key(h, "bc-1"), LIST, date="2026-11-15")
    assert_replayed(first, again)
    assert BatchCheck.objects.count() == 1
    assert AuditEntry.objects.filter(action="subsidy.batch_check").count() == 1
    for other in (
        batch(client, with_key(h, "bc-1"), LIST + b"2345678902;\n", date="2026-11-15"),
        batch(client, with_key(h, "bc-1"), LIST, date="2026-11-16"),
        batch(client, with_key(h, "bc-1"), LIST, date="2026-11-15", family_type="large"),
        batch(client, with_key(h, "bc-1"), LIST, name="other.csv", date="2026-11-15"),
    ):
        assert (other.status_code, other.json()) == (409, CONFLICT)
    assert BatchCheck.objects.count() == 1
    assert kept("subsidy-batch-check") == [
        (f"subsidy-batch-check:{city.subsidy.organisation_id}", "bc-1", 201)
    ]


def test_batch_check_refused_keeps_no_key(client, city, h):
    r = batch(client, with_key(h, "bc-1"), b"name\nx\n")
    assert (r.status_code, r.json()) == (
        400,
        {"detail": "list.csv: line 1: the file has neither a tax_id nor an address column"},
    )
    assert kept("subsidy-batch-check") == [] and BatchCheck.objects.count() == 0
    assert batch(client, with_key(h, "bc-1"), LIST).status_code == 201
    assert BatchCheck.objects.count() == 1


def test_batch_check_keys_of_two_offices_are_independent(client, city, h, make_user, bearer):
    other = bearer(make_user("subsidy"))
    a = batch(client, with_key(h, "same"), LIST)
    b = batch(client, with_key(other, "same"), LIST)
    assert (a.status_code, b.status_code) == (201, 201) and a.json()["id"] != b.json()["id"]
    assert BatchCheck.objects.count() == 2


def decisions_file(client, headers, text: str, name="d.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/api/v1/subsidy/decisions/upload", {"file": SimpleUploadedFile(name, text.encode())}, headers=headers
    )


def decisions_text(dwelling_id: int, number: str = "U-1", amount: str = "100") -> str:
    return (
        "decision,tax_id,dwelling_id,address,period_from,period_to,service,monthly_amount\n"
        f"{number},{TAX_ID},{dwelling_id},,2026-11,2027-04,heat,{amount}\n"
        f"{number},{TAX_ID},{dwelling_id},,2026-11,2027-04,rent,50\n"
    )


def test_decisions_upload_retry_with_the_key_returns_the_first_answer(client, four, h):
    text = decisions_text(four.dwelling.pk)
    first = decisions_file(client, with_key(h, "du-1"), text)
    assert first.status_code == 201
    assert (first.json()["rows_read"], [d["decision"] for d in first.json()["decisions"]]) == (2, ["U-1"])
    assert [d["provider"] for d in first.json()["decisions"][0]["deliveries"]] == ["TEPLO", "ZHEK"]
    again = decisions_file(client, with_key(h, "du-1"), text)
    assert_replayed(first, again)  # not 422 "already recorded"
    assert SubsidyDecision.objects.count() == 1 and InboxDocument.objects.count() == 2
    r = decisions_file(client, with_key(h, "du-1"), decisions_text(four.dwelling.pk, "U-2"))
    assert (r.status_code, r.json()) == (409, CONFLICT)
    assert SubsidyDecision.objects.count() == 1
    # without a key, as before: the same file again is refused row by row
    r = decisions_file(client, h, text)
    assert (r.status_code, r.json()["errors"]) == (
        422,
        [{"line": 2, "column": "decision", "reason": "decision U-1 is already recorded"}],
    )
    assert kept("subsidy-decisions-upload") == [
        (f"subsidy-decisions-upload:{four.subsidy.organisation_id}", "du-1", 201)
    ]


def test_decisions_upload_refused_keeps_no_key(client, four, h):
    r = decisions_file(client, with_key(h, "du-1"), decisions_text(four.dwelling.pk, amount="x"))
    assert r.status_code == 422
    assert [(e["line"], e["column"]) for e in r.json()["errors"]] == [(2, "monthly_amount")]
    assert kept("subsidy-decisions-upload") == [] and SubsidyDecision.objects.count() == 0
    r = decisions_file(client, with_key(h, "du-1"), decisions_text(four.dwelling.pk))
    assert r.status_code == 201 and SubsidyDecision.objects.count() == 1


def test_decisions_upload_keys_of_two_offices_are_independent(client, four, h, make_user, bearer):
    other = bearer(make_user("subsidy"))
    a = decisions_file(client, with_key(h, "same"), decisions_text(four.dwelling.pk))
    b = decisions_file(client, with_key(other, "same"), decisions_text(four.dwelling.pk))
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["decisions"][0]["office"] != b.json()["decisions"][0]["office"]
    assert SubsidyDecision.objects.count() == 2


def test_decision_key_with_control_characters_or_too_long_is_refused(client, four, h):
    for key, detail in (
        ("a\x00b", "the Idempotency-Key header must hold printable ASCII characters only (space to ~)"),
        ("a" * 129, "the Idempotency-Key header is 129 characters long: it must be 1 to 128 characters"),
        ("ключ-1", "the Idempotency-Key header must hold printable ASCII characters only (space to ~)"),
        (
            " ",
            "the Idempotency-Key header is empty: a key is 1 to 128 printable ASCII characters "
            "(a key with other characters may reach the server as an empty header)",
        ),
    ):
        r = client.post(
            "/api/v1/subsidy/decisions", content_type="application/json", data=BODY, headers=with_key(h, key)
        )
        assert (r.status_code, r.json()) == (422, {"detail": detail})
    r = client.post("/api/v1/subsidy/decisions", content_type="application/json", data=BODY, headers=h)
    assert (r.status_code, r.json()) == (
        422,
        {"detail": "an Idempotency-Key header of 1 to 128 printable ASCII characters is required"},
    )
    assert SubsidyDecision.objects.count() == 0
