"""Day close issues numbered, immutable registers; every valid payment line lands in exactly one."""

from __future__ import annotations

import datetime as dt
import json

import dbfread
import openpyxl
import pytest

from merezha.core.models import InboxDocument
from merezha.payments.models import OperationalDay
from merezha.payments.services import PaymentError, payment_cancel
from merezha.registers.files import register_file_write
from merezha.registers.models import Register, RegisterLine
from merezha.registers.selectors import reconciliation, registers_of_day
from merezha.registers.services import canonical_checksum, days_close, point_day_close, register_canonical
from tests.payments.conftest import at

pytestmark = pytest.mark.django_db
D2 = dt.date(2026, 11, 2)


def reg_summary(provider_code: str):
    return [
        (r.number, r.operational_day.isoformat(), r.count, str(r.total), r.points)
        for r in Register.objects.filter(provider__code=provider_code).order_by("number")
    ]


def test_point_close_issues_per_provider_registers(world, pay):
    p1 = pay({"water": "100.00", "heat": "30.00"}, when=at("2026-11-02", 9))
    pay({"sewer": "20.00"}, when=at("2026-11-02", 10))
    pay({"water": "7.00"}, point=1, when=at("2026-11-02", 11))
    cancelled = pay({"heat": "999.00"}, when=at("2026-11-02", 12))
    payment_cancel(
        payment_id=cancelled.pk, cashier=world.cashiers[0], reason="typo", now=at("2026-11-02", 12, 5)
    )
    result = point_day_close(point=world.points[0], user=world.cashiers[0], day=D2)
    assert result.closed_points == ["P-01"]
    assert reg_summary("water") == [
        (1, "2026-11-02", 2, "120.00", [{"point": "P-01", "count": 2, "total": "120.00"}])
    ]
    assert reg_summary("heat") == [
        (1, "2026-11-02", 1, "30.00", [{"point": "P-01", "count": 1, "total": "30.00"}])
    ]
    water = Register.objects.get(provider__code="water")
    lines = register_canonical(register=water)["lines"]
    assert [(x["line"], x["receipt"], x["service"], x["amount"], x["paid_at"]) for x in lines] == [
        (1, "P-01-20261102-1", "water", "100.00", "2026-11-02 09:00:00"),
        (2, "P-01-20261102-2", "sewer", "20.00", "2026-11-02 10:00:00"),
    ]
    assert lines[0]["payment_id"] == str(p1.pk)
    assert lines[0]["address"] == "вул. Тестова, 1, кв. 5" and lines[0]["payer"] == "Петренко І. В."
    doc = water.document
    assert (doc.kind, doc.recipient_code, doc.status, doc.checksum) == (
        "register",
        "water",
        "delivered",
        water.checksum,
    )
    assert water.checksum == canonical_checksum(register_canonical(register=water))
    # the second point closes later: its lines go to register 2 of water
    result = point_day_close(point=world.points[1], user=world.cashiers[1], day=D2)
    assert [(r.provider.code, r.number, str(r.total)) for r in result.registers] == [("water", 2, "7.00")]
    # closing again changes nothing
    before = list(
        RegisterLine.objects.values_list("pk", "register_id", "payment_line_id", "amount").order_by("pk")
    )
    assert point_day_close(point=world.points[0], user=world.cashiers[0], day=D2).registers == []
    assert days_close(day=D2).registers == []
    assert (
        list(
            RegisterLine.objects.values_list("pk", "register_id", "payment_line_id", "amount").order_by("pk")
        )
        == before
    )
    assert InboxDocument.objects.filter(kind="register").count() == 3


def test_close_day_closes_every_point_and_late_payments_go_to_the_next_register(world, pay):
    pay({"water": "10.00"}, when=at("2026-11-02", 9))
    pay({"water": "11.00"}, point=1, when=at("2026-11-02", 9))
    result = days_close(day=D2)
    assert result.closed_points == ["P-01", "P-02"]
    assert reg_summary("water") == [
        (
            1,
            "2026-11-02",
            2,
            "21.00",
            [
                {"point": "P-01", "count": 1, "total": "10.00"},
                {"point": "P-02", "count": 1, "total": "11.00"},
            ],
        )
    ]
    late = pay({"water": "5.00"}, point=1, when=at("2026-11-02", 20))
    assert late.operational_day == dt.date(2026, 11, 3)
    assert days_close(day=D2).registers == []
    days_close(day=dt.date(2026, 11, 3))
    assert reg_summary("water")[1] == (
        2,
        "2026-11-03",
        1,
        "5.00",
        [{"point": "P-02", "count": 1, "total": "5.00"}],
    )
    assert OperationalDay.objects.filter(day=dt.date(2026, 11, 3), status="closed").count() == 2


def test_a_cashier_closes_only_its_point(world):
    with pytest.raises(PaymentError, match="only the day of its own point"):
        point_day_close(point=world.points[1], user=world.cashiers[0], day=D2)
    with pytest.raises(PaymentError, match="is in the future"):
        point_day_close(point=world.points[0], user=world.cashiers[0], day=dt.date(2099, 1, 1))


def test_files_agree_with_each_other(world, pay, tmp_path):
    world.providers["water"].dbf_encoding = "cp866"
    world.providers["water"].save()
    pay({"water": "100.10", "sewer": "0.01"}, when=at("2026-11-02", 9, 15))
    pay({"water": "2500.00"}, point=1, when=at("2026-11-02", 9, 16))
    days_close(day=D2)
    regs = registers_of_day(provider_code="water", day=D2)
    for fmt in ("csv", "json", "dbf", "xlsx"):
        assert register_file_write(registers=regs, fmt=fmt, path=tmp_path / f"r.{fmt}") == 3
    data = json.loads((tmp_path / "r.json").read_text())
    assert (data["number"], data["count"], data["total"]) == (1, 3, "2600.11")
    assert [(x["line"], x["account"], x["service"], x["amount"]) for x in data["lines"]] == [
        ("1", "W-100", "water", "100.10"),
        ("2", "W-100", "sewer", "0.01"),
        ("3", "W-100", "water", "2500.00"),
    ]
    table = dbfread.DBF(str(tmp_path / "r.dbf"), encoding="cp866")
    assert [f.name for f in table.fields] == [
        "NREC",
        "ID",
        "KVIT",
        "DATA",
        "TIME",
        "PUNKT",
        "LS",
        "USLUGA",
        "FIO",
        "ADRES",
        "SUMMA",
    ]
    recs = list(table)
    assert [(r["NREC"], r["LS"], r["USLUGA"], str(r["SUMMA"]), r["DATA"], r["TIME"]) for r in recs] == [
        (1, "W-100", "water", "100.1", D2, "09:15:00"),
        (2, "W-100", "sewer", "0.01", D2, "09:15:00"),
        (3, "W-100", "water", "2500.0", D2, "09:16:00"),
    ]
    assert (
        recs[0]["ID"] == data["lines"][0]["payment_id"] and recs[0]["FIO"] == "Петренко I. В."
    )  # cp866 has no і
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True)
    assert wb.sheetnames == ["lines", "summary"]
    rows = list(wb["lines"].iter_rows(values_only=True))
    assert rows[0][-1] == "amount" and [str(r[-1]) for r in rows[1:]] == ["100.1", "0.01", "2500.0"]
    assert rows[1][:3] == (1, data["lines"][0]["payment_id"], "P-01-20261102-1")
    assert [c.number_format for c in next(wb["lines"].iter_rows(min_row=2, max_row=2))][-1] == "0.00"
    summary = {r[0]: r[1] for r in wb["summary"].iter_rows(values_only=True) if r and r[0]}
    assert (summary["number"], summary["count"], str(summary["total"])) == (1, 3, "2600.11")
    csv_lines = (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()
    assert csv_lines[0] == "line;payment_id;receipt;paid_at;point;account;service;payer;address;amount"
    assert csv_lines[3].endswith(";W-100;water;Петренко І. В.;вул. Тестова, 1, кв. 5;2500.00")


def test_several_registers_of_a_day_export_together(world, pay, tmp_path):
    pay({"water": "1.00"}, when=at("2026-11-02", 9))
    point_day_close(point=world.points[0], user=world.cashiers[0], day=D2)
    pay({"water": "2.00"}, point=1, when=at("2026-11-02", 10))
    point_day_close(point=world.points[1], user=world.cashiers[1], day=D2)
    regs = registers_of_day(provider_code="water", day=D2)
    assert [r.number for r in regs] == [1, 2]
    register_file_write(registers=regs, fmt="json", path=tmp_path / "d.json")
    data = json.loads((tmp_path / "d.json").read_text())
    assert (data["numbers"], data["count"], data["total"]) == ([1, 2], 2, "3.00")
    assert [(x["line"], x["point"]) for x in data["lines"]] == [("1", "P-01"), ("2", "P-02")]


def test_reconciliation_flags_nothing_when_all_is_registered(world, pay):
    pay({"water": "10.00", "heat": "5.00"}, when=at("2026-11-02", 9))
    c = pay({"water": "3.00"}, when=at("2026-11-02", 9, 30))
    payment_cancel(payment_id=c.pk, cashier=world.cashiers[0], reason="x", now=at("2026-11-02", 9, 31))
    pay({"heat": "1.00"}, point=1, when=at("2026-11-02", 9))
    point_day_close(point=world.points[0], user=world.cashiers[0], day=D2)
    rec = reconciliation(day_from=D2, day_to=D2)
    got = [
        (r.point, r.provider, r.status, str(r.accepted), str(r.cancelled), str(r.registered), r.ok)
        for r in rec.rows
    ]
    assert got == [
        ("P-01", "heat", "closed", "5.00", "0.00", "5.00", True),
        ("P-01", "water", "closed", "13.00", "3.00", "10.00", True),
        ("P-02", "heat", "open", "1.00", "0.00", "0.00", True),
    ]
    assert [(r.point, str(r.accepted), str(r.registered), r.ok) for r in rec.totals] == [
        ("P-01", "18.00", "15.00", True),
        ("P-02", "1.00", "0.00", True),
    ]
    assert rec.mismatches == []
    # a register line lost (simulated by hand) is flagged
    RegisterLine.objects.filter(amount=500).delete()
    rec = reconciliation(day_from=D2, day_to=D2)
    assert [(r.point, r.provider) for r in rec.mismatches] == [("P-01", "heat"), ("P-01", "")]
