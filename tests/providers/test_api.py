"""The snapshot API: background upload, idempotency, reports, discrepancy downloads, permissions."""

from __future__ import annotations

import io

import openpyxl
import pytest

from merezha.core.roles import OrgKind, Role
from merezha.organisations.services import api_token_create
from merezha.providers.models import Account, Snapshot

pytestmark = pytest.mark.django_db


def bearer(user):
    return {"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"}


@pytest.fixture
def water_user(make_org, make_user):
    return make_user(Role.PROVIDER, organisation=make_org(OrgKind.PROVIDER, code="water"))


def upload(client, user, path, headers=None, **fields):
    data = {"period": "2026-10", "payments_through": "2026-10-31"} | fields
    with open(path, "rb") as fh:
        return client.post(
            "/api/v1/snapshots", {"file": fh, **data}, headers={**bearer(user), **(headers or {})}
        )


def test_upload_runs_the_import_and_reports(client, city, samples, water_user):
    r = upload(client, water_user, samples / "snapshot-water-2026-10.csv")
    assert r.status_code == 202
    data = r.json()
    assert (data["status"], data["rows_applied"], data["closing_total"], data["unmatched"]) == (
        "applied",
        249,
        "177447.84",
        1,
    )
    assert data["sent_by"] == water_user.username and data["provider"] == "water"
    assert "unmatched addresses: 1; ambiguous addresses: 0" in data["notes"]
    listed = client.get("/api/v1/snapshots", headers=bearer(water_user)).json()
    assert [s["id"] for s in listed] == [data["id"]]
    snap = Snapshot.objects.get(pk=data["id"])
    assert snap.stored_path == "" and snap.created_by == water_user

    d = client.get(f"/api/v1/snapshots/{data['id']}/discrepancies", headers=bearer(water_user)).json()
    assert d["count"] == 1 and d["items"][0]["kind"] == "unmatched_address"
    csv = client.get(f"/api/v1/snapshots/{data['id']}/discrepancies?format=csv", headers=bearer(water_user))
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert lines[0] == "line;account;service;kind;address;payer;detail" and len(lines) == 2
    xlsx = client.get(f"/api/v1/snapshots/{data['id']}/discrepancies?format=xlsx", headers=bearer(water_user))
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    assert ws.max_row == 2 and ws.cell(2, 4).value == "unmatched_address"
    bad = client.get(f"/api/v1/snapshots/{data['id']}/discrepancies?format=pdf", headers=bearer(water_user))
    assert bad.status_code == 422


def test_rejected_upload_reports_every_row(client, city, samples, water_user):
    r = upload(client, water_user, samples / "snapshot-bad-inconsistent.csv")
    data = client.get(f"/api/v1/snapshots/{r.json()['id']}", headers=bearer(water_user)).json()
    assert data["status"] == "rejected"
    assert [(e["line"], e["column"]) for e in data["errors"]] == [(3, "closing")]
    assert Account.objects.count() == 0
    r = upload(client, water_user, samples / "snapshot-bad-inconsistent.csv", accept_partial="true")
    assert (
        r.json()["status"] == "applied" and r.json()["rows_applied"] == 1 and r.json()["rows_rejected"] == 1
    )


def test_bad_metadata_is_a_clear_422(client, city, samples, water_user):
    r = upload(client, water_user, samples / "snapshot-water-2026-10.csv", period="10.2026")
    assert r.status_code == 422 and "not a period" in r.json()["detail"]
    assert Snapshot.objects.count() == 0


def test_idempotency_key(client, city, samples, water_user):
    key = {"Idempotency-Key": "k-1"}
    first = upload(client, water_user, samples / "snapshot-water-2026-10.csv", headers=key)
    again = upload(client, water_user, samples / "snapshot-water-2026-10.csv", headers=key)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Snapshot.objects.count() == 1
    other = upload(client, water_user, samples / "snapshot-bad-inconsistent.csv", headers=key)
    assert other.status_code == 409
    assert Snapshot.objects.count() == 1


def test_idempotency_key_of_129_characters_is_refused_and_keys_are_per_provider(
    client, city, samples, water_user, make_org, make_user
):
    r = upload(
        client, water_user, samples / "snapshot-water-2026-10.csv", headers={"Idempotency-Key": "k" * 129}
    )
    assert (r.status_code, r.json()) == (
        422,
        {"detail": "the Idempotency-Key header is 129 characters long: it must be 1 to 128 characters"},
    )
    assert Snapshot.objects.count() == 0
    key = {"Idempotency-Key": "k" * 128}
    heat_user = make_user(Role.PROVIDER, organisation=make_org(OrgKind.PROVIDER, code="heat"))
    water = upload(client, water_user, samples / "snapshot-water-2026-10.csv", headers=key)
    heat = upload(client, heat_user, samples / "snapshot-heat-2026-10.dbf", headers=key)
    assert (water.status_code, heat.status_code) == (202, 202)
    assert (water.json()["provider"], heat.json()["provider"]) == ("water", "heat")
    assert Snapshot.objects.count() == 2


def test_provider_a_cannot_see_provider_b(client, city, samples, water_user, make_org, make_user):
    snap_id = upload(client, water_user, samples / "snapshot-water-2026-10.csv").json()["id"]
    heat_user = make_user(Role.PROVIDER, organisation=make_org(OrgKind.PROVIDER, code="heat"))
    h = bearer(heat_user)
    assert client.get(f"/api/v1/snapshots/{snap_id}", headers=h).status_code == 404
    assert client.get(f"/api/v1/snapshots/{snap_id}/discrepancies", headers=h).status_code == 404
    assert client.get(f"/api/v1/snapshots/{snap_id}/discrepancies?format=csv", headers=h).status_code == 404
    assert client.get("/api/v1/snapshots", headers=h).json() == []


@pytest.mark.parametrize("role", [Role.ADMIN, Role.HOUSING, Role.SUBSIDY, Role.CASHIER, Role.MANAGER])
def test_other_roles_get_403(client, city, samples, water_user, make_user, role):
    snap_id = upload(client, water_user, samples / "snapshot-water-2026-10.csv").json()["id"]
    h = bearer(make_user(role))
    assert client.get("/api/v1/snapshots", headers=h).status_code == 403
    assert client.get(f"/api/v1/snapshots/{snap_id}", headers=h).status_code == 403
    assert client.get(f"/api/v1/snapshots/{snap_id}/discrepancies", headers=h).status_code == 403
    with open(samples / "snapshot-water-2026-10.csv", "rb") as fh:
        r = client.post(
            "/api/v1/snapshots",
            {"file": fh, "period": "2026-10", "payments_through": "2026-10-31"},
            headers=h,
        )
    assert r.status_code == 403
    assert Snapshot.objects.count() == 1


def test_no_token_401(client):
    assert client.get("/api/v1/snapshots").status_code == 401


def test_json_upload_carries_its_own_metadata(client, city, samples, make_org, make_user):
    waste_user = make_user(Role.PROVIDER, organisation=make_org(OrgKind.PROVIDER, code="waste"))
    with open(samples / "snapshot-waste-2026-10.json", "rb") as fh:
        r = client.post("/api/v1/snapshots", {"file": fh}, headers=bearer(waste_user))
    data = r.json()
    assert (r.status_code, data["status"], data["period"], data["payments_through"]) == (
        202,
        "applied",
        "2026-10",
        "2026-10-31",
    )
    assert data["rows_applied"] == 125 and data["closing_total"] == "99137.20"


def test_a_failed_background_import_changes_nothing(client, city, samples, water_user, monkeypatch, settings):
    import importlib

    first = upload(client, water_user, samples / "snapshot-water-2026-10.csv").json()
    before = sorted(Account.objects.values_list("number", "service_id", "closing", "snapshot_id"))
    module = importlib.import_module("merezha.providers.services.snapshot_import")

    def crash(**kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(module, "_merge_periods", crash)
    r = upload(client, water_user, samples / "snapshot-water-2026-10.csv")
    data = client.get(f"/api/v1/snapshots/{r.json()['id']}", headers=bearer(water_user)).json()
    assert data["status"] == "failed" and data["failure"] == "RuntimeError: worker killed"
    assert sorted(Account.objects.values_list("number", "service_id", "closing", "snapshot_id")) == before
    assert {s for s in Account.objects.values_list("snapshot_id", flat=True)} == {first["id"]}
    assert list((settings.HOME / "uploads" / "snapshots").iterdir()) == []


def test_a_running_import_shows_its_progress(client, city, samples, water_user, monkeypatch, settings):
    import importlib

    module = importlib.import_module("merezha.providers.services.snapshot_import")
    merge, seen = module._merge_accounts, []
    headers = bearer(water_user)

    def merge_and_look(**kwargs):
        # the import is half-way: what does the provider see?
        snapshot_id = Snapshot.objects.get(status=Snapshot.Status.RUNNING).pk
        seen.append(client.get(f"/api/v1/snapshots/{snapshot_id}", headers=headers).json())
        return merge(**kwargs)

    monkeypatch.setattr(module, "_merge_accounts", merge_and_look)
    done = upload(client, water_user, samples / "snapshot-water-2026-10.csv").json()
    assert [(s["status"], s["progress"]) for s in seen] == [
        ("running", {"phase": "merging", "rows": done["rows_read"], "percent": 100})
    ]
    assert done["status"] == "applied" and done["rows_read"] == 249
    assert client.get(f"/api/v1/snapshots/{done['id']}", headers=headers).json()["progress"] is None
    assert list((settings.HOME / "progress").iterdir()) == []


@pytest.mark.parametrize("code", ["heat", "rent", "waste"])
def test_every_format_uploads_through_the_background_import(client, city, samples, make_org, make_user, code):
    import json

    exp = json.loads((samples / "expected.json").read_text())["snapshots"][code]
    user = make_user(Role.PROVIDER, organisation=make_org(OrgKind.PROVIDER, code=code))
    fields = {} if exp["file"].endswith(".json") else {"period": "2026-10", "payments_through": "2026-10-31"}
    with open(samples / exp["file"], "rb") as fh:
        r = client.post("/api/v1/snapshots", {"file": fh, **fields}, headers=bearer(user))
    data = client.get(f"/api/v1/snapshots/{r.json()['id']}", headers=bearer(user)).json()
    assert (data["status"], data["rows_applied"], data["unmatched"]) == (
        "applied",
        exp["rows"],
        exp["unmatched"],
    )
    assert data["closing_total"] == exp["closing_total"] and data["file_name"] == exp["file"]


def test_files_that_used_to_crash_the_import_are_rejected_with_line_and_reason(
    client, city, water_user, tmp_path
):
    """A damaged workbook or a 30-digit amount was a `failed` import with a Python exception's name."""
    book = openpyxl.Workbook()
    book.active.append(["account", "service", "street", "house", "closing"])
    book.active.append(["A1", "water", "вул. Проскурівська", 2, 1])
    good = io.BytesIO()
    book.save(good)
    damaged = bytearray(good.getvalue())
    at = damaged.find(b"xl/worksheets/sheet1.xml") + 60  # inside the sheet's compressed data
    damaged[at : at + 20] = b"\x00" * 20
    (tmp_path / "damaged.xlsx").write_bytes(bytes(damaged))
    (tmp_path / "long.csv").write_text(
        "account;service;street;house;closing\nA1;water;вул. Проскурівська;2;" + "1" * 30 + "\n",
        encoding="utf-8",
    )
    seen = []
    for name in ("damaged.xlsx", "long.csv"):
        r = upload(client, water_user, tmp_path / name)
        assert r.status_code == 202
        data = client.get(f"/api/v1/snapshots/{r.json()['id']}", headers=bearer(water_user)).json()
        seen.append(
            (
                data["status"],
                data["failure"],
                [(e["line"], e["column"], e["reason"]) for e in data["errors"]],
            )
        )
    assert seen == [
        ("rejected", "", [(1, "", seen[0][2][0][2])]),
        ("rejected", "", [(2, "closing", "amount out of range: " + "1" * 30)]),
    ]
    assert seen[0][2][0][2].startswith("not a readable XLSX workbook: its compressed data is damaged: ")
    assert not Account.objects.exists()
