"""registry.api: the housing office's register upload with an Idempotency-Key."""

from __future__ import annotations

import pytest

from merezha.core.roles import Role
from merezha.organisations.services import api_token_create
from merezha.registry.models import Dwelling, Person, RegisterChange, RegistryImport
from tests.idempotency import CONFLICT, TOO_LONG, assert_replayed, kept

pytestmark = pytest.mark.django_db


def upload(client, user, path, key=None, **fields):
    headers = {"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    with open(path, "rb") as fh:
        return client.post("/api/v1/registry/uploads", {"file": fh, **fields}, headers=headers)


def counts() -> tuple[int, int, int, int]:
    return (
        RegistryImport.objects.count(),
        Dwelling.objects.count(),
        Person.objects.count(),
        RegisterChange.objects.count(),
    )


def test_retry_with_the_key_returns_the_first_report_and_applies_nothing(
    client, make_user, sample_streets, samples
):
    clerk = make_user(Role.HOUSING)
    first = upload(client, clerk, samples / "registry-ZHEK-01.csv", "reg-1")
    assert first.status_code == 200
    assert {k: first.json()[k] for k in ("file", "format", "applied", "rows_read", "rows_applied")} == {
        "file": "registry-ZHEK-01.csv",
        "format": "csv",
        "applied": True,
        "rows_read": 136,
        "rows_applied": 136,
    }
    after = counts()
    again = upload(client, clerk, samples / "registry-ZHEK-01.csv", "reg-1")
    assert_replayed(first, again)
    assert counts() == after and after[0] == 1
    # the same key with another form field, or another file: 409, nothing applied
    r = upload(client, clerk, samples / "registry-ZHEK-01.csv", "reg-1", accept_partial="true")
    assert (r.status_code, r.json()) == (409, CONFLICT)
    r = upload(client, clerk, samples / "registry-bad.csv", "reg-1")
    assert (r.status_code, r.json()) == (409, CONFLICT)
    assert counts() == after
    # without a key, as before: the file is applied again (no changes, a second import record)
    r = upload(client, clerk, samples / "registry-ZHEK-01.csv")
    assert (r.status_code, r.json()["rows_applied"]) == (200, 136)
    assert RegistryImport.objects.count() == 2
    assert kept("registry-upload") == [(f"registry-upload:{clerk.organisation_id}", "reg-1", 200)]


def test_refused_file_keeps_no_key(client, make_user, sample_streets, samples):
    clerk = make_user(Role.HOUSING)
    r = upload(client, clerk, samples / "registry-bad.csv", "reg-1")
    assert r.status_code == 422
    assert [(e["line"], e["column"]) for e in r.json()["errors"]] == [(2, "tax_id"), (3, "street")]
    assert kept("registry-upload") == [] and RegistryImport.objects.count() == 0
    r = upload(client, clerk, samples / "registry-ZHEK-01.csv", "reg-1")
    assert (r.status_code, r.json()["rows_applied"]) == (200, 136)
    r = upload(client, clerk, samples / "registry-bad.csv", "reg-2", accept_partial="true")
    assert (r.status_code, r.json()["applied"], r.json()["rows_rejected"]) == (200, True, 2)
    assert [key for _scope, key, _status in kept("registry-upload")] == ["reg-1", "reg-2"]


def test_keys_of_two_offices_are_independent(client, make_user, sample_streets, samples):
    a, b = make_user(Role.HOUSING), make_user(Role.HOUSING)
    ra = upload(client, a, samples / "registry-ZHEK-01.csv", "same")
    rb = upload(client, b, samples / "registry-bad.csv", "same")
    assert (ra.status_code, ra.json()["rows_applied"]) == (200, 136)
    assert (rb.status_code, rb.json()["rows_rejected"]) == (422, 2)
    assert RegistryImport.objects.get().office_id == a.organisation_id
    r = upload(client, b, samples / "registry-ZHEK-01.csv", "k" * 129)
    assert (r.status_code, r.json()) == (422, TOO_LONG)
    assert RegistryImport.objects.count() == 1


def test_a_damaged_workbook_is_answered_422_naming_the_reason_not_500(
    client, make_user, sample_streets, tmp_path
):
    from tests.workbooks import workbook, workbook_part_changed

    path = tmp_path / "register.xlsx"
    data = workbook([["dwelling", "street", "house"]])
    path.write_bytes(workbook_part_changed(data, "xl/workbook.xml", lambda _: b"<<<"))
    before = counts()
    r = upload(client, make_user(Role.HOUSING), path)
    assert (r.status_code, r.json()["errors"]) == (
        422,
        [
            {
                "line": 1,
                "column": "",
                "reason": "not a readable XLSX workbook: the workbook's XML is malformed "
                "(not well-formed (invalid token): line 1, column 1)",
            }
        ],
    )
    assert counts() == before
