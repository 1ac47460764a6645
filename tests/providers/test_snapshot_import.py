"""The provider snapshot import (exchange-v1 §2): samples, consistency, atomicity, history, discrepancies."""

from __future__ import annotations

import datetime as dt
import importlib
import json

import openpyxl
import pytest
from django.db import transaction

from merezha.core.imports import ImportRejected
from merezha.core.models import InboxDocument
from merezha.core.money import Money
from merezha.core.reasons import reason_template
from merezha.core.roles import OrgKind
from merezha.formats.writers import Column, write_dbf
from merezha.organisations.models import ProviderService, Service, ServiceAlias
from merezha.providers.models import Account, AccountPeriod, Discrepancy, Snapshot
from merezha.providers.services import snapshot_import
from tests.providers.conftest import PERIOD, THROUGH
from tests.workbooks import workbook, workbook_part_changed

pytestmark = pytest.mark.django_db


def expected(samples):
    return json.loads((samples / "expected.json").read_text())


def state(provider):
    """Everything a provider's snapshot makes visible."""
    accounts = sorted(
        Account.objects.filter(provider=provider).values_list(
            "number", "service__code", "closing", "dwelling_id", "match_status", "is_active", "payer"
        )
    )
    periods = sorted(
        AccountPeriod.objects.filter(account__provider=provider).values_list(
            "account__number", "account__service__code", "period", "opening", "paid", "closing"
        )
    )
    return accounts, periods


@pytest.mark.parametrize("code", ["water", "heat", "rent", "waste"])
def test_every_sample_gives_the_expected_figures(city, samples, make_org, code):
    exp = expected(samples)["snapshots"][code]
    provider = make_org(OrgKind.PROVIDER, code=code)
    report = snapshot_import(
        str(samples / exp["file"]), provider=provider, period=PERIOD, payments_through=THROUGH
    )
    assert report.rows_read == exp["rows"]
    assert report.rows_applied == exp["rows"]
    assert report.errors == []
    snap = Snapshot.objects.get(provider=provider)
    assert snap.status == Snapshot.Status.APPLIED
    assert snap.closing_total == Money.parse(exp["closing_total"])
    assert snap.unmatched == exp["unmatched"]
    assert f"unmatched addresses: {exp['unmatched']};" in " ".join(report.notes)
    active = Account.objects.filter(provider=provider, is_active=True)
    assert active.count() == exp["rows"]
    assert Money.total(a.closing for a in active) == Money.parse(exp["closing_total"])
    assert active.filter(match_status=Account.Match.UNMATCHED).count() == exp["unmatched"]
    assert AccountPeriod.objects.filter(account__provider=provider, period=PERIOD).count() == exp["rows"]
    unmatched = Discrepancy.objects.filter(snapshot=snap, kind=Discrepancy.Kind.UNMATCHED_ADDRESS)
    assert unmatched.count() == exp["unmatched"]
    assert set(
        ProviderService.objects.filter(provider=provider).values_list("service__code", flat=True)
    ) == set(active.values_list("service__code", flat=True))


def test_json_metadata_is_used_and_a_contradiction_refused(city, samples, make_org):
    waste = make_org(OrgKind.PROVIDER, code="waste")
    report = snapshot_import(
        str(samples / "snapshot-waste-2026-10.json"), provider=waste, period=None, payments_through=None
    )
    snap = Snapshot.objects.get(provider=waste, status=Snapshot.Status.APPLIED)
    assert (snap.period, snap.payments_through) == (PERIOD, THROUGH)
    assert report.rows_applied == 125
    with pytest.raises(ImportRejected) as exc:
        snapshot_import(
            str(samples / "snapshot-waste-2026-10.json"),
            provider=waste,
            period=dt.date(2026, 11, 1),
            payments_through=THROUGH,
        )
    assert [str(e) for e in exc.value.report.errors] == [
        "line 1, column period: the file says period 2026-10, the upload says 2026-11"
    ]
    other = make_org(OrgKind.PROVIDER, code="gas")
    with pytest.raises(ImportRejected) as exc:
        snapshot_import(
            str(samples / "snapshot-waste-2026-10.json"), provider=other, period=None, payments_through=None
        )
    assert [str(e) for e in exc.value.report.errors] == [
        "line 1, column provider: the file is provider waste's snapshot, not gas's"
    ]
    assert not Account.objects.filter(provider=other).exists()


def test_missing_metadata_is_refused(city, samples, provider):
    with pytest.raises(ImportRejected) as exc:
        snapshot_import(
            str(samples / "snapshot-water-2026-10.csv"),
            provider=provider,
            period=PERIOD,
            payments_through=None,
        )
    assert [(e.line, e.column) for e in exc.value.report.errors] == [(1, "payments_through")]
    assert Account.objects.count() == 0
    rejected = Snapshot.objects.get(provider=provider)
    assert rejected.status == Snapshot.Status.REJECTED and rejected.rows_applied == 0


def test_inconsistent_row_rejects_the_file_naming_line_and_both_figures(city, samples, provider):
    with pytest.raises(ImportRejected) as exc:
        snapshot_import(
            str(samples / "snapshot-bad-inconsistent.csv"),
            provider=provider,
            period=PERIOD,
            payments_through=THROUGH,
        )
    errors = exc.value.report.errors
    assert [(e.line, e.column) for e in errors] == [(3, "closing")]
    assert "61.00" in errors[0].reason and "60.00" in errors[0].reason
    assert Account.objects.count() == 0 and AccountPeriod.objects.count() == 0
    assert Snapshot.objects.get().status == Snapshot.Status.REJECTED

    report = snapshot_import(
        str(samples / "snapshot-bad-inconsistent.csv"),
        provider=provider,
        period=PERIOD,
        payments_through=THROUGH,
        accept_partial=True,
    )
    assert (report.rows_read, report.rows_applied, report.rows_rejected) == (2, 1, 1)
    assert list(Account.objects.values_list("number", "closing")) == [("W1", Money(6000))]


def test_second_import_changes_nothing(city, samples, provider):
    path = str(samples / "snapshot-water-2026-10.csv")
    snapshot_import(path, provider=provider, period=PERIOD, payments_through=THROUGH)
    before = state(provider)
    report = snapshot_import(path, provider=provider, period=PERIOD, payments_through=THROUGH)
    assert report.changes == {"created": 0, "updated": 0, "unchanged": 249, "closed": 0}
    assert state(provider) == before
    first, second = Snapshot.objects.filter(provider=provider).order_by("id")
    assert (first.checksum, first.closing_total, first.rows_applied) == (
        second.checksum,
        second.closing_total,
        second.rows_applied,
    )
    assert set(Account.objects.values_list("snapshot_id", flat=True)) == {second.pk}


def test_a_crash_in_the_merge_leaves_the_previous_snapshot_in_force(
    city, samples, provider, write_snapshot, monkeypatch
):
    snapshot_import(
        str(samples / "snapshot-water-2026-10.csv"),
        provider=provider,
        period=PERIOD,
        payments_through=THROUGH,
    )
    before = state(provider)
    module = importlib.import_module("merezha.providers.services.merge")

    def crash(**kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(module, "periods_merge", crash)
    path = write_snapshot("NEW1;water;вул. Проскурівська;2;;;;0;10;0;0;0;0;10")
    with pytest.raises(RuntimeError):
        snapshot_import(str(path), provider=provider, period=PERIOD, payments_through=THROUGH)
    assert state(provider) == before
    assert Snapshot.objects.filter(provider=provider).count() == 1
    assert not Account.objects.filter(number="NEW1").exists()


def test_a_snapshot_replaces_the_previous_state_and_keeps_each_period(city, provider, write_snapshot):
    first = write_snapshot(
        "A1;water;вул. Проскурівська;2;;;;0;100;0;0;0;0;100",
        "A2;water;вул. Проскурівська;4;;;;0;50;0;0;0;0;50",
    )
    snapshot_import(str(first), provider=provider, period=PERIOD, payments_through=THROUGH)
    second = write_snapshot("A1;water;вул. Проскурівська;2;;;;100;80;0;0;0;100;80")
    report = snapshot_import(
        str(second), provider=provider, period=dt.date(2026, 11, 1), payments_through=dt.date(2026, 11, 30)
    )
    assert report.changes == {"created": 0, "updated": 1, "unchanged": 0, "closed": 1}
    assert sorted(Account.objects.values_list("number", "is_active", "closing")) == [
        ("A1", True, Money(8000)),
        ("A2", False, Money(5000)),
    ]
    assert sorted(AccountPeriod.objects.values_list("account__number", "period", "charged", "closing")) == [
        ("A1", dt.date(2026, 10, 1), Money(10000), Money(10000)),
        ("A1", dt.date(2026, 11, 1), Money(8000), Money(8000)),
        ("A2", dt.date(2026, 10, 1), Money(5000), Money(5000)),
    ]
    # an older snapshot cannot replace a newer one
    with pytest.raises(ImportRejected) as exc:
        snapshot_import(str(first), provider=provider, period=PERIOD, payments_through=THROUGH)
    assert [e.column for e in exc.value.report.errors] == ["period", "payments_through"]


def test_partial_import_keeps_the_accounts_of_rejected_rows(city, provider, write_snapshot):
    snapshot_import(
        str(
            write_snapshot(
                "A1;water;вул. Проскурівська;2;;;;;;;;;;100", "A2;water;вул. Проскурівська;4;;;;;;;;;;50"
            )
        ),
        provider=provider,
        period=PERIOD,
        payments_through=THROUGH,
    )
    report = snapshot_import(
        str(
            write_snapshot(
                "A1;water;вул. Проскурівська;2;;;;;;;;;;90", "A2;water;вул. Проскурівська;4;;;;;;;;;;abc"
            )
        ),
        provider=provider,
        period=PERIOD,
        payments_through=THROUGH,
        accept_partial=True,
    )
    assert [(e.line, e.column) for e in report.errors] == [(3, "closing")]
    assert sorted(Account.objects.values_list("number", "is_active", "closing")) == [
        ("A1", True, Money(9000)),
        ("A2", True, Money(5000)),
    ]
    # the same period's figures are replaced where they changed, kept where the row was rejected
    first, second = Snapshot.objects.order_by("id")
    assert sorted(AccountPeriod.objects.values_list("account__number", "closing", "snapshot_id")) == [
        ("A1", Money(9000), second.pk),
        ("A2", Money(5000), first.pk),
    ]


def test_row_errors_name_line_column_and_reason(city, provider, write_snapshot):
    path = write_snapshot(
        "A1;water;вул. Проскурівська;2;;;;;;;;;;100",
        "A1;water;вул. Проскурівська;4;;;;;;;;;;50",
        "A3;milk;вул. Проскурівська;4;;;;;;;;;;50",
        ";water;;4;;;;;;;;;;",
        "A5;water;вул. Проскурівська;4;;;;;;;;;;1 234,5x",
    )
    with pytest.raises(ImportRejected) as exc:
        snapshot_import(str(path), provider=provider, period=PERIOD, payments_through=THROUGH)
    got = sorted((e.line, e.column) for e in exc.value.report.errors)
    assert got == [
        (2, "account"),
        (3, "account"),
        (4, "service"),
        (5, "account"),
        (5, "closing"),
        (5, "street"),
        (6, "closing"),
    ]
    reasons = {(e.line, e.column): e.reason for e in exc.value.report.errors}
    assert reasons[(3, "account")] == "account A1 for water appears 2 times in the file (first on line 2)"
    assert reasons[(4, "service")] == "unknown service 'milk': not a network code nor your alias"
    assert Account.objects.count() == 0


def test_every_copy_of_a_repeated_account_is_rejected_also_under_accept_partial(
    city, provider, write_snapshot
):
    path = write_snapshot(
        "A1;water;вул. Проскурівська;2;;;;;;;;;;100",
        "A2;water;вул. Проскурівська;4;;;;;;;;;;50",
        "A1;water;вул. Проскурівська;2;;;;;;;;;;70",
    )
    report = snapshot_import(
        str(path), provider=provider, period=PERIOD, payments_through=THROUGH, accept_partial=True
    )
    assert (report.rows_read, report.rows_applied, report.rows_rejected) == (3, 1, 2)
    assert [str(e) for e in report.errors] == [
        "line 2, column account: account A1 for water appears 2 times in the file (first on line 2)",
        "line 4, column account: account A1 for water appears 2 times in the file (first on line 2)",
    ]
    assert list(Account.objects.values_list("number", "closing")) == [("A2", Money(5000))]


def test_provider_aliases_and_excel_float_amounts(city, provider, tmp_path):
    ServiceAlias.objects.create(provider=provider, alias="ХВП", service=Service.objects.get(code="water"))
    path = tmp_path / "snap.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["account", "service", "street", "house", "closing"])
    book.active.append(["A1", "хвп", "вул. Проскурівська", 2, 220.54999999999998])
    book.active.append(["A2", "water", "вул. Проскурівська", 4, 0.1 + 0.2])
    book.save(path)
    snapshot_import(str(path), provider=provider, period=PERIOD, payments_through=THROUGH)
    assert sorted(Account.objects.values_list("number", "service__code", "closing")) == [
        ("A1", "water", Money(22055)),
        ("A2", "water", Money(30)),
    ]


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("10,005", "more than two decimal places: '10,005' (the hub does not round amounts)"),
        (
            "220.54999999999998",
            "more than two decimal places: '220.54999999999998' (the hub does not round amounts)",
        ),
        ("1e3", "not an amount: '1e3'"),
    ],
)
def test_an_amount_written_with_more_than_two_places_is_refused(
    city, provider, write_snapshot, written, reason
):
    path = write_snapshot("A1;water;вул. Проскурівська;2;;;;;;;;;;" + written)
    with pytest.raises(ImportRejected) as exc:
        snapshot_import(str(path), provider=provider, period=PERIOD, payments_through=THROUGH)
    assert [str(e) for e in exc.value.report.errors] == [f"line 2, column closing: {reason}"]
    assert not Account.objects.exists()


def test_a_json_number_with_an_exponent_is_its_value_and_the_text_1e3_no_amount(city, provider, tmp_path):
    """`1e3` as text is refused (a typo, or a spreadsheet's display); a JSON number is a number, 1000."""

    def row(account: str, closing: str) -> str:
        return (
            f'{{"account": "{account}", "service": "water", "street": "вул. Проскурівська", '
            f'"house": "2", "closing": {closing}}}'
        )

    path = tmp_path / "snap.json"
    path.write_text(f'{{"rows": [{row("A1", "1e3")}, {row("A2", "1.5E2")}]}}', encoding="utf-8")
    snapshot_import(str(path), provider=provider, period=PERIOD, payments_through=THROUGH)
    assert sorted(Account.objects.values_list("number", "closing")) == [
        ("A1", Money(100000)),
        ("A2", Money(15000)),
    ]
    text = row("A1", '"1e3"')
    path.write_text(f'{{"rows": [{text}]}}', encoding="utf-8")
    with pytest.raises(ImportRejected) as exc:
        snapshot_import(str(path), provider=provider, period=PERIOD, payments_through=THROUGH)
    assert [str(e) for e in exc.value.report.errors] == ["line 2, column closing: not an amount: '1e3'"]


def test_a_spreadsheet_amount_with_three_real_places_is_refused(city, provider, tmp_path):
    path = tmp_path / "snap.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["account", "service", "street", "house", "closing"])
    book.active.append(["A1", "water", "вул. Проскурівська", 2, 12.345])
    book.active.append(["A2", "water", "вул. Проскурівська", 4, 12.349999999])
    book.save(path)
    with pytest.raises(ImportRejected) as exc:
        snapshot_import(str(path), provider=provider, period=PERIOD, payments_through=THROUGH)
    assert [str(e) for e in exc.value.report.errors] == [
        "line 2, column closing: more than two decimal places: '12.345' (the hub does not round amounts)"
    ]


#: One row of each discrepancy (K2–K6) and one without (K1), in the sample city.
DISCREPANT_ROWS = (
    "K1;water;вул. Кам'янецька;7;1;Коваленко Ірина Іванівна;1779483742;;;;;;;10",
    "K2;water;вул. Кам'янецька;7;2;Шевченко Тарас;;;;;;;;10",
    "K3;water;вул. Кам'янецька;7;3;Кравчук Марія;3530326959;;;;;;;10",
    "K4;water;вул. Кам'янецька;7;99;;;;;;;;;10",
    "K5;water;вул. Неіснуюча;1;;;;;;;;;;10",
    "K6;water;вул. Кам'янецька;7;4;Кравчук Андрій;12345;;;;;;;10",
)


def test_discrepancies_are_reported_never_fixed(city, provider, write_snapshot):
    path = write_snapshot(*DISCREPANT_ROWS)
    report = snapshot_import(str(path), provider=provider, period=PERIOD, payments_through=THROUGH)
    snap = Snapshot.objects.get()
    got = sorted(Discrepancy.objects.filter(snapshot=snap).values_list("line", "account_number", "kind"))
    assert got == [
        (3, "K2", "payer_not_registered"),
        (4, "K3", "tax_id_mismatch"),
        (5, "K4", "unknown_dwelling"),
        (6, "K5", "unmatched_address"),
        (7, "K6", "invalid_tax_id"),
    ]
    assert snap.discrepancy_count == 5 and snap.unmatched == 2
    assert "unmatched addresses: 2; ambiguous addresses: 0" in report.notes
    # the provider's data is kept as written
    k3 = Account.objects.get(number="K3")
    assert (k3.payer, k3.tax_id, k3.match_status) == ("Кравчук Марія", "3530326959", "matched")
    k6 = Account.objects.get(number="K6")
    assert k6.tax_id == "12345"
    detail = Discrepancy.objects.get(account_number="K2").detail
    assert detail == "payer Шевченко Тарас is not registered in the dwelling"
    doc = InboxDocument.objects.get()
    assert (doc.kind, doc.recipient_code, doc.object_id) == ("discrepancy_report", "water", str(snap.pk))
    assert len(doc.checksum) == 64


def test_unreadable_file_is_refused(city, provider, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("foo;bar\n1;2\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as exc:
        snapshot_import(str(path), provider=provider, period=PERIOD, payments_through=THROUGH)
    assert [str(e) for e in exc.value.report.errors] == [
        "line 1: no header row: the first row must name the columns "
        "(account, service, street, house, closing, …); line 1 holds: foo | bar"
    ]


def test_rule_needs_the_opening_balance(city, provider, write_snapshot):
    header = "account;service;street;house;paid;closing\n"
    path = write_snapshot("A1;water;вул. Проскурівська;2;50;100", header=header)
    snapshot_import(str(path), provider=provider, period=PERIOD, payments_through=THROUGH)
    assert AccountPeriod.objects.get().paid == Money(5000)
    path = write_snapshot(
        "A1;water;вул. Проскурівська;2;;10;;50;100",
        header="account;service;street;house;apartment;opening;charged;paid;closing\n",
    )
    with pytest.raises(ImportRejected) as exc:
        snapshot_import(str(path), provider=provider, period=PERIOD, payments_through=THROUGH)
    assert [str(e) for e in exc.value.report.errors] == [
        "line 2, column closing: closing 100.00 does not follow from the period columns: "
        "opening + charged + recalc − benefit − subsidy − paid = -40.00"
    ]


def test_ambiguous_address_is_reported(city, provider, write_snapshot, tmp_path, make_org):
    from merezha.registry.services import registry_import

    office = make_org(OrgKind.HOUSING_OFFICE, code="ZHEK-77")
    register = tmp_path / "r.csv"
    register.write_text(
        "dwelling;street;house;apartment\nX1;пров. Озерний;77;5\nX2;пров. Озерний;77;5\n", encoding="utf-8"
    )
    registry_import(str(register), office=office)
    path = write_snapshot("A1;water;Озерний;77;5;;;;;;;;;10")
    report = snapshot_import(str(path), provider=provider, period=PERIOD, payments_through=THROUGH)
    account = Account.objects.get()
    assert (account.match_status, account.dwelling_id) == ("ambiguous", None)
    assert list(Discrepancy.objects.values_list("kind", "detail")) == [
        ("ambiguous_address", "2 dwellings at this address")
    ]
    assert "unmatched addresses: 0; ambiguous addresses: 1" in report.notes


def test_progress_hears_every_phase_with_the_rows_read(city, provider, write_snapshot, monkeypatch):
    module = importlib.import_module("merezha.providers.services.snapshot_import")
    monkeypatch.setattr(module, "PROGRESS_EVERY", 2)
    rows = [f"A{i};water;вул. Шевченка;12;{i};Коваленко;;0;1,00;0;0;0;0;1,00" for i in range(1, 6)]
    heard: list[tuple[str, int]] = []
    snapshot_import(
        str(write_snapshot(*rows)),
        provider=provider,
        period=PERIOD,
        payments_through=THROUGH,
        progress=lambda phase, n: heard.append((phase, n)),
    )
    assert heard == [
        ("reading", 2),
        ("reading", 4),
        ("checking", 5),
        ("merging", 5),
        ("discrepancies", 5),
    ]


def test_a_corrected_snapshot_of_the_same_period_adds_new_accounts_and_replaces_changed_figures(
    city, provider, write_snapshot
):
    snapshot_import(
        str(write_snapshot("A1;water;вул. Проскурівська;2;;;;0;100;0;0;0;0;100")),
        provider=provider,
        period=PERIOD,
        payments_through=THROUGH,
    )
    report = snapshot_import(
        str(
            write_snapshot(
                "A1;water;вул. Проскурівська;2;;;;0;90;0;0;0;0;90",
                "A3;water;вул. Проскурівська;4;;;;0;7;0;0;0;0;7",
            )
        ),
        provider=provider,
        period=PERIOD,
        payments_through=THROUGH,
    )
    assert report.changes == {"created": 1, "updated": 1, "unchanged": 0, "closed": 0}
    second = Snapshot.objects.order_by("id").last()
    assert sorted(
        AccountPeriod.objects.values_list("account__number", "period", "charged", "snapshot_id")
    ) == [
        ("A1", PERIOD, Money(9000), second.pk),
        ("A3", PERIOD, Money(700), second.pk),
    ]


def test_touched_dwellings_include_those_an_account_left_or_closed_in(city, provider, write_snapshot):
    from merezha.registry.models import Dwelling

    def dwelling(ref):
        return Dwelling.objects.get(office_ref=ref).pk

    snapshot_import(
        str(
            write_snapshot(
                "A1;water;вул. Кам'янецька;7;1;;;0;1;0;0;0;0;1",
                "A2;water;вул. Кам'янецька;7;2;;;0;1;0;0;0;0;1",
                "A3;water;вул. Кам'янецька;7;3;;;0;1;0;0;0;0;1",
            )
        ),
        provider=provider,
        period=PERIOD,
        payments_through=THROUGH,
    )
    # A1 moves from flat 1 to flat 4, A2 is gone, A3 only changes its balance
    report = snapshot_import(
        str(
            write_snapshot(
                "A1;water;вул. Кам'янецька;7;4;;;0;1;0;0;0;0;1",
                "A3;water;вул. Кам'янецька;7;3;;;0;2;0;0;0;0;2",
            )
        ),
        provider=provider,
        period=dt.date(2026, 11, 1),
        payments_through=dt.date(2026, 11, 30),
    )
    assert report.changes == {"created": 0, "updated": 2, "unchanged": 0, "closed": 1}
    assert report.touched_dwellings == {dwelling("01000008"), dwelling("01000011"), dwelling("01000009")}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "line 1: the file is empty"),
        (b"\xef\xbb\xbfaccount;service;street;house;closing\nA1;water;\xe2\xf3\xeb;2;1\n",
         "line 2: the text is not valid UTF-8 (it starts with a UTF-8 byte-order mark)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
         "line 1: not an exchange file: an Excel 97-2003 workbook (.xls) or another old Office document: "
         "save it as XLSX or CSV"),
    ],
)  # fmt: skip
def test_a_file_refused_before_its_rows_is_named_and_recorded(city, provider, tmp_path, content, reason):
    path = tmp_path / "october.csv"
    path.write_bytes(content)
    with pytest.raises(ImportRejected) as exc:
        snapshot_import(str(path), provider=provider, period=PERIOD, payments_through=THROUGH)
    assert (exc.value.report.file_name, [str(e) for e in exc.value.report.errors]) == (
        "october.csv",
        [reason],
    )
    snap = Snapshot.objects.get()
    assert (snap.status, snap.file_name, snap.report["errors"][0]["reason"]) == (
        "rejected",
        "october.csv",
        reason.split(": ", 1)[1],
    )


def test_nul_bytes_in_a_text_file_refuse_it_with_the_line(city, provider, write_snapshot):
    """PostgreSQL cannot store a NUL character: the reader refuses the file before any row is staged."""
    path = write_snapshot(
        "A1;water;вул. Проскурівська;2;;;;;;;;;;1", "A2;water;вул. Проскурівська;4;;Ко\x00валь;;;;;;;;1"
    )
    with pytest.raises(ImportRejected) as exc:
        snapshot_import(str(path), provider=provider, period=PERIOD, payments_through=THROUGH)
    assert [str(e) for e in exc.value.report.errors] == [
        "line 3: the file holds NUL bytes, which CSV text never has (binary data or UTF-16?)"
    ]
    assert not Account.objects.exists()


def outcome(provider, report):
    """What an import shows: its report (without timings and ids), the accounts and the discrepancies."""
    discrepancies = sorted(
        Discrepancy.objects.values_list("line", "account_number", "kind", "address", "detail")
    )
    figures = (report.rows_read, report.rows_applied, report.changes, [str(e) for e in report.errors])
    return figures, report.notes[1:], sorted(report.touched_dwellings), state(provider), discrepancies


@pytest.mark.parametrize(
    "sample",
    ["snapshot-water-2026-10.csv", "snapshot-heat-2026-10.dbf", "snapshot-rent-2026-10.xlsx",
     "snapshot-waste-2026-10.json", "snapshot-bad-inconsistent.csv", "messy"],
)  # fmt: skip
def test_a_file_read_in_a_reader_process_is_imported_the_same(
    city, samples, make_org, write_snapshot, sample, monkeypatch
):
    rows_module = importlib.import_module("merezha.providers.snapshot_rows")
    path = samples / sample
    if sample == "messy":
        path = write_snapshot(
            "A1;water;вул. Проскурівська;2;;Коваленко Ірина;1779483742;1 000,50;10.5;;;;;1011,00",
            "A2;ХВП;вул. Кам'янецька;7;1;;12345;;;;;;;-4,38",
            "A3;heat;Проскурівська вулиця;4;;;;;;;;;;10,005",
            "A1;water;вул. Проскурівська;2;;;;;;;;;;1",
            "A4;waste;вул. Неіснуюча;1;;;;0;1;0;0;0;0;1",
            "A5;water;;1;;;;;;;;;;",
            "A6;gas;вул. Кам'янецька;7;99;Шевченко Тарас;;0,00;0,00;0;0,00;0,00;0,00;0,00",
        )
    code = {"snapshot-heat-2026-10.dbf": "heat", "snapshot-rent-2026-10.xlsx": "rent"}.get(sample, "waste")
    provider = make_org(OrgKind.PROVIDER, code=code)
    ServiceAlias.objects.create(provider=provider, alias="ХВП", service=Service.objects.get(code="water"))
    seen = []
    for min_bytes in (1 << 62, 0):
        monkeypatch.setattr(rows_module, "READER_PROCESS_MIN_BYTES", min_bytes)
        with transaction.atomic():
            try:
                report = snapshot_import(
                    str(path), provider=provider, period=PERIOD, payments_through=THROUGH, accept_partial=True
                )
            except ImportRejected as exc:
                report = exc.report
            seen.append(outcome(provider, report))
            transaction.set_rollback(True)
    assert seen[0] == seen[1]
    assert seen[0][0][0] == {"snapshot-bad-inconsistent.csv": 2, "messy": 7}.get(sample, seen[0][0][0]) > 0


def test_a_first_snapshot_numbers_its_accounts_in_file_order_after_the_last_account(
    city, provider, make_org, write_snapshot
):
    snapshot_import(
        str(
            write_snapshot(
                "A1;water;вул. Проскурівська;2;;;;;;;;;;1", "A2;water;вул. Проскурівська;4;;;;;;;;;;2"
            )
        ),
        provider=provider,
        period=PERIOD,
        payments_through=THROUGH,
    )
    last = Account.objects.order_by("-id").values_list("id", flat=True).first()
    heat = make_org(OrgKind.PROVIDER, code="heat")
    snapshot_import(
        str(
            write_snapshot(
                "Z9;heat;вул. Проскурівська;2;;;;;;;;;;1", "B1;heat;вул. Проскурівська;4;;;;;;;;;;2"
            )
        ),
        provider=heat,
        period=PERIOD,
        payments_through=THROUGH,
    )
    assert list(Account.objects.filter(provider=heat).order_by("id").values_list("id", "number")) == [
        (last + 1, "Z9"),
        (last + 2, "B1"),
    ]
    assert sorted(
        AccountPeriod.objects.filter(account__provider=heat).values_list("account_id", "closing")
    ) == [
        (last + 1, Money(100)),
        (last + 2, Money(200)),
    ]


def test_a_closed_account_in_the_next_snapshot_is_open_again(city, provider, write_snapshot):
    both = ("A1;water;вул. Проскурівська;2;;;;;;;;;;1", "A2;water;вул. Проскурівська;4;;;;;;;;;;2")
    snapshot_import(str(write_snapshot(*both)), provider=provider, period=PERIOD, payments_through=THROUGH)
    report = snapshot_import(
        str(write_snapshot(both[0])), provider=provider, period=PERIOD, payments_through=THROUGH
    )
    assert report.changes == {"created": 0, "updated": 0, "unchanged": 1, "closed": 1}
    report = snapshot_import(
        str(write_snapshot(*both)), provider=provider, period=PERIOD, payments_through=THROUGH
    )
    assert report.changes == {"created": 0, "updated": 1, "unchanged": 1, "closed": 0}
    assert sorted(Account.objects.values_list("number", "is_active", "closing")) == [
        ("A1", True, Money(100)),
        ("A2", True, Money(200)),
    ]


def _damaged_workbook() -> bytes:
    """A workbook whose `xl/workbook.xml` is no XML."""
    return workbook_part_changed(workbook([["account", "closing"]]), "xl/workbook.xml", lambda _: b"<<<")


FAULTY_FILES = [
    (
        "rows.csv",
        (
            "account;service;street;house;apartment;payer;tax_id;opening;charged;recalc;benefit;subsidy;paid;closing\n"
            "A1;water;вул. Проскурівська;2;;;;;;;;;;100\n"
            "A1;water;вул. Проскурівська;4;;;;;;;;;;50\n"
            "A3;milk;вул. Проскурівська;4;;;;;;;;;;50\n"
            ";water;;4;;;;;;;;;;\n"
            "A5;water;вул. Проскурівська;4;;;;;;;;;;1 234,5x\n"
            "A6;water;вул. Проскурівська;4;;;;;;;;;;1,234\n"
            "A7;water;вул. Проскурівська;4;;;;10;;;;;;20\n"
            "A8;water;вул. Проскурівська;4;;;;;;;;;;99999999999999999\n"
            f"{'A' * 40};water;вул. Проскурівська;4;;;;;;;;;;1\n"
        ).encode(),
    ),
    ("empty.csv", b""),
    ("no-header.csv", b"foo;bar\n1;2\n"),
    ("missing.csv", b"account;service;street;closing\nA1;water;x;1\n"),
    ("bom.csv", b"\xef\xbb\xbfaccount;service;street;house;closing\nA1;water;\xe2\xf3\xeb;2;1\n"),
    ("cut.csv", b"account;service;street;house;closing\nA1;water;\xd0"),
    ("nul.csv", b"account;service;street;house;closing\nA1;wa\x00ter;x;2;1\n"),
    ("twice.csv", b"account;account;service;street;house;closing\nA1;A1;water;x;2;1\n"),
    ("wide.csv", b"account;service;street;house;closing\nA1;water;x;2;1;5;6\n"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),
    ("a.rar", b"Rar!\x1a\x07\x00" + b"\x00" * 100),
    ("utf16.csv", "account;service\n".encode("utf-16")),
    ("bad.xlsx", b"PK\x03\x04" + b"\x00" * 100),
    ("damaged.xlsx", _damaged_workbook()),
    ("bad.json", b'{"rows": [{"account": "A1", "service": {"x": 1}}]}'),
    ("broken.json", b'{"rows": [{"account": "A1",'),
    ("norows.json", b'{"period": "2026-10", "lines": []}'),
]


@pytest.mark.parametrize(("name", "content"), FAULTY_FILES, ids=[n for n, _ in FAULTY_FILES])
def test_every_reason_of_a_refused_file_has_a_translation(city, provider, tmp_path, name, content):
    """A page shows an import's reasons in the reader's language (core.reasons): each reason the
    import gives must be one of the templates there."""
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportRejected) as exc:
        snapshot_import(str(path), provider=provider, period=PERIOD, payments_through=THROUGH)
    reasons = [e.reason for e in exc.value.report.errors]
    assert reasons and [r for r in reasons if reason_template(r) is None] == []


def test_every_reason_of_refused_metadata_has_a_translation(city, provider, write_snapshot):
    row = "A1;water;вул. Проскурівська;2;;;;;;;;;;100"
    reasons = []
    snapshot_import(str(write_snapshot(row)), provider=provider, period=PERIOD, payments_through=THROUGH)
    for period, through in (
        (dt.date(2026, 9, 1), dt.date(2026, 9, 30)),  # older than the snapshot in force
        (dt.date(2026, 11, 2), THROUGH),  # not a month
        (None, None),
    ):
        with pytest.raises(ImportRejected) as exc:
            snapshot_import(
                str(write_snapshot(row)), provider=provider, period=period, payments_through=through
            )
        reasons += [e.reason for e in exc.value.report.errors]
    json_file = write_snapshot(
        name="meta.json",
        header='{"provider": "heat", "period": "2026-13", "payments_through": "2026-11-30", "rows": []}',
    )
    with pytest.raises(ImportRejected) as exc:
        snapshot_import(str(json_file), provider=provider, period=PERIOD, payments_through=THROUGH)
    reasons += [e.reason for e in exc.value.report.errors]
    assert len(reasons) >= 8 and [r for r in reasons if reason_template(r) is None] == []


def test_every_discrepancy_detail_has_a_translation(city, provider, write_snapshot):
    path = write_snapshot(
        *DISCREPANT_ROWS,
        "K7;water;вул. Кам'янецька;7777;1;;;;;;;;;10",
        "K8;water;;7;1;;;;;;;;;10",
        "K9;water;вул. Кам'янецька;7;4;Кравчук Андрій;1779483743;;;;;;;10",
    )
    report = snapshot_import(
        str(path), provider=provider, period=PERIOD, payments_through=THROUGH, accept_partial=True
    )
    details = list(Discrepancy.objects.values_list("detail", flat=True))
    assert len(details) >= 6 and [d for d in details if reason_template(d) is None] == []
    assert report.rows_rejected == 1  # K8: no street


@pytest.mark.parametrize(
    ("content", "file_format"),
    [(_damaged_workbook(), "xlsx"), (b"", ""), (b"Rar!\x1a\x07\x00" + b"\x00" * 100, "")],
)
def test_a_file_refused_before_its_rows_records_the_format_it_looks_like(
    city, provider, tmp_path, content, file_format
):
    path = tmp_path / "upload.bin"
    path.write_bytes(content)
    with pytest.raises(ImportRejected):
        snapshot_import(str(path), provider=provider, period=PERIOD, payments_through=THROUGH)
    assert Snapshot.objects.get().file_format == file_format


def test_dbf_with_two_fields_for_the_account_is_refused_not_one_silently_taken(city, provider, tmp_path):
    """`LS` is the account's DBF field; a field named `ACCOUNT` beside it would overwrite it unseen."""
    path = tmp_path / "two-accounts.dbf"
    columns = [
        Column("account", "LS", "C", 10),
        Column("account", "ACCOUNT", "C", 10),
        Column("service", "USLUGA", "C", 10),
        Column("street", "STREET", "C", 40),
        Column("house", "HOUSE", "C", 10),
        Column("closing", "SALDO_K", "N", 12, 2),
    ]
    write_dbf(path, columns, [["A1", "A2", "water", "вул. Проскурівська", "2", "10.00"]])
    with pytest.raises(ImportRejected) as exc:
        snapshot_import(str(path), provider=provider, period=PERIOD, payments_through=THROUGH)
    assert [(e.column, e.reason) for e in exc.value.report.errors] == [
        ("account", "fields LS and ACCOUNT are both read as column 'account'")
    ]
    assert not Account.objects.filter(provider=provider).exists()
