"""The streaming XLSX writer: openpyxl reads back exactly what was written."""

from __future__ import annotations

import datetime as dt

import openpyxl

from merezha.core.money import Money
from merezha.housing.exports import xlsx_write


def test_round_trip(tmp_path):
    path = tmp_path / "x.xlsx"
    rows = [
        ['вул. Свободи, 1 <&> "x"', 3, Money(150001), Money(-5), dt.date(2026, 1, 5), None, "bell\x07"],
        ["", 0, Money(0), None, None, "", "ok"],
    ]
    assert xlsx_write(str(path), sheet="debtors/2026:11", header=list("abcdefg"), rows=iter(rows)) == 2
    ws = openpyxl.load_workbook(path).active
    assert ws.title == "debtors 2026 11"
    got = [list(r) for r in ws.iter_rows(values_only=True)]
    assert got[0] == list("abcdefg")
    assert got[1][:2] == ['вул. Свободи, 1 <&> "x"', 3]
    assert (str(got[1][2]), str(got[1][3])) == ("1500.01", "-0.05")
    assert got[1][4:] == [dt.datetime(2026, 1, 5), None, "bell"]
    assert got[2] == [None, 0, 0, None, None, None, "ok"]
    assert [ws.cell(2, c).number_format for c in (3, 4, 5)] == ["0.00", "0.00", "yyyy-mm-dd"]
    assert ws["A1"].font.b is True


def test_empty_list_has_the_header(tmp_path):
    path = tmp_path / "e.xlsx"
    assert xlsx_write(str(path), sheet="s", header=["only"], rows=[]) == 0
    assert [list(r) for r in openpyxl.load_workbook(path).active.iter_rows(values_only=True)] == [["only"]]
