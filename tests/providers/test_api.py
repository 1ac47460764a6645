"""The snapshot API: background upload, idempotency, reports, discrepancy downloads, permissions."""

from __future__ import annotations

import io

import openpyxl
import pytest

from merezha.core.roles import OrgKind, Role
from merezha.organisations.services import api_token_create
from merezha.providers.models import Account, Snapshot
from tests.providers.conftest import PERIOD, THROUGH

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
    module = importlib.import_module("merezha.providers.services.merge")

    def crash(**kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(module, "periods_merge", crash)
    r = upload(client, water_user, samples / "snapshot-water-2026-10.csv")
    data = client.get(f"/api/v1/snapshots/{r.json()['id']}", headers=bearer(water_user)).json()
    assert data["status"] == "failed" and data["failure"] == "RuntimeError: worker killed"
    assert sorted(Account.objects.values_list("number", "service_id", "closing", "snapshot_id")) == before
    assert {s for s in Account.objects.values_list("snapshot_id", flat=True)} == {first["id"]}
    assert list((settings.HOME / "uploads" / "snapshots").iterdir()) == []


def test_a_running_import_shows_its_progress(client, city, samples, water_user, monkeypatch, settings):
    import importlib

    module = importlib.import_module("merezha.providers.services.merge")
    merge, seen = module.accounts_merge, []
    headers = bearer(water_user)

    def merge_and_look(**kwargs):
        # the import is half-way: what does the provider see?
        snapshot_id = Snapshot.objects.get(status=Snapshot.Status.RUNNING).pk
        seen.append(client.get(f"/api/v1/snapshots/{snapshot_id}", headers=headers).json())
        return merge(**kwargs)

    monkeypatch.setattr(module, "accounts_merge", merge_and_look)
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


def test_service_aliases_list_create_and_delete(client, water_user):
    from merezha.organisations.models import ServiceAlias

    h = bearer(water_user)
    assert client.get("/api/v1/service-aliases", headers=h).json() == []
    r = client.post(
        "/api/v1/service-aliases", {"alias": " ХВП ", "service": "water"}, "application/json", headers=h
    )
    alias = ServiceAlias.objects.get()
    assert (r.status_code, r.json()) == (201, {"id": alias.pk, "alias": "ХВП", "service": "water"})
    client.post("/api/v1/service-aliases", {"alias": "ВВ", "service": "sewer"}, "application/json", headers=h)
    listed = client.get("/api/v1/service-aliases", headers=h).json()
    assert [(a["alias"], a["service"]) for a in listed] == [("ВВ", "sewer"), ("ХВП", "water")]
    r = client.delete(f"/api/v1/service-aliases/{alias.pk}", headers=h)
    assert (r.status_code, r.content) == (204, b"")
    assert list(ServiceAlias.objects.values_list("alias", flat=True)) == ["ВВ"]
    assert client.delete(f"/api/v1/service-aliases/{alias.pk}", headers=h).status_code == 404


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {"alias": "хвп", "service": "sewer"},
            "you already have the alias 'ХВП': aliases are compared ignoring case",
        ),
        ({"alias": "Water", "service": "water"}, "'Water' is a network service code: it needs no alias"),
        ({"alias": "", "service": "water"}, "the alias is empty"),
        (
            {"alias": "Г" * 65, "service": "water"},
            "the alias is 65 characters long: it must be 1 to 64 characters",
        ),
        ({"alias": "ГВП", "service": "milk"}, "unknown service 'milk': not a network service code"),
    ],
)
def test_a_refused_service_alias_is_422_with_the_reason_and_keeps_no_key(client, water_user, body, detail):
    from merezha.organisations.models import ServiceAlias

    h = bearer(water_user) | {"Idempotency-Key": "alias-1"}
    client.post(
        "/api/v1/service-aliases",
        {"alias": "ХВП", "service": "water"},
        "application/json",
        headers=bearer(water_user),
    )
    r = client.post("/api/v1/service-aliases", body, "application/json", headers=h)
    assert (r.status_code, r.json()) == (422, {"detail": detail})
    assert list(ServiceAlias.objects.values_list("alias", flat=True)) == ["ХВП"]
    # a refusal keeps no key: the corrected request goes through under the same key
    r = client.post(
        "/api/v1/service-aliases", {"alias": "ГВП", "service": "hot_water"}, "application/json", headers=h
    )
    assert r.status_code == 201 and r.json()["alias"] == "ГВП"


def test_service_alias_create_is_idempotent(client, water_user):
    from merezha.organisations.models import ServiceAlias

    h = bearer(water_user) | {"Idempotency-Key": "alias-1"}
    body = {"alias": "ХВП", "service": "water"}
    first = client.post("/api/v1/service-aliases", body, "application/json", headers=h)
    again = client.post("/api/v1/service-aliases", body, "application/json", headers=h)
    assert (first.status_code, again.status_code) == (201, 201)
    assert (
        again.json()
        == first.json()
        == {"id": ServiceAlias.objects.get().pk, "alias": "ХВП", "service": "water"}
    )
    other = client.post(
        "/api/v1/service-aliases", {"alias": "ХВП", "service": "sewer"}, "application/json", headers=h
    )
    assert other.status_code == 409
    assert other.json()["detail"].startswith("this Idempotency-Key was used before for a different request")
    assert list(ServiceAlias.objects.values_list("alias", "service__code")) == [("ХВП", "water")]
    # without the key, the same body is a second request: refused, the provider already has the alias
    assert (
        client.post(
            "/api/v1/service-aliases", body, "application/json", headers=bearer(water_user)
        ).status_code
        == 422
    )


def test_service_alias_delete_is_idempotent(client, water_user):
    from merezha.organisations.models import ServiceAlias
    from merezha.organisations.services import service_alias_add

    first_id = service_alias_add(provider=water_user.organisation, alias="ХВП", service_code="water").pk
    second_id = service_alias_add(provider=water_user.organisation, alias="ВВ", service_code="sewer").pk
    h = bearer(water_user) | {"Idempotency-Key": "rm-1"}
    assert client.delete(f"/api/v1/service-aliases/{first_id}", headers=h).status_code == 204
    again = client.delete(f"/api/v1/service-aliases/{first_id}", headers=h)
    assert (again.status_code, again.content) == (204, b"")
    assert client.delete(f"/api/v1/service-aliases/{second_id}", headers=h).status_code == 409
    assert list(ServiceAlias.objects.values_list("alias", flat=True)) == ["ВВ"]


def test_another_providers_service_alias_is_404(client, water_user, make_org, make_user):
    from merezha.organisations.models import ServiceAlias
    from merezha.organisations.services import service_alias_add

    alias = service_alias_add(provider=water_user.organisation, alias="ХВП", service_code="water")
    h = bearer(make_user(Role.PROVIDER, organisation=make_org(OrgKind.PROVIDER, code="heat")))
    assert client.get("/api/v1/service-aliases", headers=h).json() == []
    r = client.delete(f"/api/v1/service-aliases/{alias.pk}", headers=h)
    assert (r.status_code, r.json()) == (404, {"detail": "no such service alias of yours"})
    assert client.delete(f"/api/v1/service-aliases/{2**63}", headers=h).status_code == 404
    # the same spelling is another provider's to register too
    r = client.post(
        "/api/v1/service-aliases", {"alias": "ХВП", "service": "heat"}, "application/json", headers=h
    )
    assert r.status_code == 201
    assert sorted(ServiceAlias.objects.values_list("provider__code", "alias", "service__code")) == [
        ("heat", "ХВП", "heat"),
        ("water", "ХВП", "water"),
    ]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.HOUSING, Role.SUBSIDY, Role.CASHIER, Role.MANAGER])
def test_other_roles_get_403_on_service_aliases(client, water_user, make_user, role):
    from merezha.organisations.models import ServiceAlias
    from merezha.organisations.services import service_alias_add

    alias = service_alias_add(provider=water_user.organisation, alias="ХВП", service_code="water")
    h = bearer(make_user(role))
    assert client.get("/api/v1/service-aliases", headers=h).status_code == 403
    body = {"alias": "ГВП", "service": "hot_water"}
    assert client.post("/api/v1/service-aliases", body, "application/json", headers=h).status_code == 403
    assert client.delete(f"/api/v1/service-aliases/{alias.pk}", headers=h).status_code == 403
    assert list(ServiceAlias.objects.values_list("alias", flat=True)) == ["ХВП"]


def test_service_aliases_need_a_token(client):
    assert client.get("/api/v1/service-aliases").status_code == 401
    assert client.delete("/api/v1/service-aliases/1").status_code == 401


def test_an_alias_added_through_the_api_is_accepted_by_the_next_snapshot(
    client, city, water_user, write_snapshot
):
    from merezha.core.money import Money
    from merezha.providers.services import snapshot_import

    r = client.post(
        "/api/v1/service-aliases",
        {"alias": "ХВП", "service": "water"},
        "application/json",
        headers=bearer(water_user),
    )
    assert r.status_code == 201
    path = write_snapshot(
        "A1;хвп;вул. Проскурівська;2;;Іваненко;;;;;;;;220.55",
        "A2;water;вул. Проскурівська;4;;Петренко;;;;;;;;-12.00",
    )
    report = snapshot_import(
        str(path), provider=water_user.organisation, period=PERIOD, payments_through=THROUGH
    )
    assert (report.rows_read, report.rows_applied, report.rows_rejected) == (2, 2, 0)
    assert sorted(Account.objects.values_list("number", "service__code", "payer", "closing")) == [
        ("A1", "water", "Іваненко", Money(22055)),
        ("A2", "water", "Петренко", Money(-1200)),
    ]
