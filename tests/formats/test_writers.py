"""The streaming writers of `formats.writers`: what they write reads back exactly (openpyxl, dbfread)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import dbfread
import openpyxl
import pytest

from merezha.core.money import Money
from merezha.formats.writers import Column, Sheet, write_dbf, write_xlsx, xlsx_write


def _values(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_xlsx_round_trip(tmp_path):
    path = tmp_path / "x.xlsx"
    rows = [
        ['вул. Свободи, 1 <&> "x"', 3, Money(150001), Money(-5), dt.date(2026, 1, 5), None, "bell\x07\ufffe"],
        ["", 0, Money(0), None, None, "", "ok"],
    ]
    sheet = Sheet("debtors/2026:11", iter(rows), header=list("abcdefg"))
    assert xlsx_write(path, sheets=[sheet]) == [2]
    ws = openpyxl.load_workbook(path).active
    assert ws.title == "debtors 2026 11"
    got = _values(ws)
    assert got[0] == list("abcdefg")
    assert got[1][:2] == ['вул. Свободи, 1 <&> "x"', 3]
    assert (str(got[1][2]), str(got[1][3])) == ("1500.01", "-0.05")
    assert got[1][4:] == [dt.datetime(2026, 1, 5), None, "bell"]
    assert got[2] == [None, 0, 0, None, None, None, "ok"]
    assert [ws.cell(2, c).number_format for c in (3, 4, 5)] == ["0.00", "0.00", "yyyy-mm-dd"]
    assert ws["A1"].font.b is True
    assert ws["A2"].font.b is False


def test_xlsx_empty_sheet_has_the_header(tmp_path):
    path = tmp_path / "e.xlsx"
    assert xlsx_write(path, sheets=[Sheet("s", [], header=["only"])]) == [0]
    assert _values(openpyxl.load_workbook(path).active) == [["only"]]


def test_xlsx_several_sheets_and_totals(tmp_path):
    path = tmp_path / "m.xlsx"
    lines = [(n, f"A-{n}", Decimal(f"{n}.{n % 100:02d}")) for n in range(1, 2501)]
    summary = [
        ["count", 2500],
        ["total", sum((r[2] for r in lines), Decimal(0))],
        [],
        ["when", dt.datetime(2026, 11, 2, 9, 5)],
    ]
    counts = xlsx_write(
        path,
        sheets=[Sheet("lines", iter(lines), header=["n", "account", "amount"]), Sheet("summary", summary)],
    )
    assert counts == [2500, 4]
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["lines", "summary"]
    got = _values(wb["lines"])
    assert got[0] == ["n", "account", "amount"]
    assert len(got) == 2501
    assert got[2500] == [2500, "A-2500", 2500.0]
    assert sum(Decimal(str(r[2])) for r in got[1:]) == Decimal("3127487.50")
    assert _values(wb["summary"]) == [
        ["count", 2500],
        ["total", 3127487.5],
        [],
        ["when", "2026-11-02 09:05:00"],
    ]


def test_xlsx_needs_a_sheet(tmp_path):
    with pytest.raises(ValueError):
        xlsx_write(tmp_path / "n.xlsx", sheets=[])


COLUMNS = [
    Column("n", "N", "N", 5, 0),
    Column("name", "NAME", "C", 12),
    Column("day", "DAY", "D", 8),
    Column("amount", "SUMMA", "N", 10, 2),
]


def test_write_xlsx_of_columns(tmp_path):
    path = tmp_path / "c.xlsx"
    rows = [[1, "Іван", dt.date(2026, 11, 2), "100.10"], [2, "", None, ""], [3, "x", "2026-11-03", "-0.05"]]
    assert write_xlsx(path, COLUMNS, rows, sheet="snapshot", extra_sheets={"meta": [["k", 1]]}) == 3
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["snapshot", "meta"]
    ws = wb["snapshot"]
    assert _values(ws) == [
        ["n", "name", "day", "amount"],
        [1, "Іван", "2026-11-02", 100.1],
        [2, None, None, None],
        [3, "x", "2026-11-03", -0.05],
    ]
    assert ws["D2"].number_format == "0.00"
    assert _values(wb["meta"]) == [["k", 1]]


@pytest.mark.parametrize(
    ("encoding", "driver", "name_bytes"),
    [
        ("cp1251", 0xC9, "Ґонта Ївга".encode("cp1251")),
        ("cp866", 0x26, "Гонта Ївга".encode("cp866")),
        ("cp1125", 0x00, "Ґонта Ївга".encode("cp1125")),
    ],
)
def test_dbf_bytes_and_read_back(tmp_path, encoding, driver, name_bytes):
    path = tmp_path / "t.dbf"
    rows = [
        [1, "Ґонта Ївга", dt.date(2026, 11, 2), "100.10"],
        [2, "Кам’янець і", "2026-11-03", "-0.01"],
        [3, None, None, None],
        [4, dt.datetime(2026, 1, 2, 3, 4, 5), "", ""],
    ]
    assert write_dbf(path, COLUMNS, rows, encoding=encoding, today=dt.date(2026, 11, 4)) == 4
    data = path.read_bytes()
    header_len = 32 + 32 * 4 + 1
    record_len = 1 + 5 + 12 + 8 + 10
    assert data[:4] == bytes([0x03, 126, 11, 4])
    assert int.from_bytes(data[4:8], "little") == 4
    assert int.from_bytes(data[8:10], "little") == header_len
    assert int.from_bytes(data[10:12], "little") == record_len
    assert data[29] == driver
    assert data[header_len - 1] == 0x0D
    assert len(data) == header_len + 4 * record_len + 1
    assert data[-1] == 0x1A
    first = data[header_len : header_len + record_len]
    assert first == b" " + b"    1" + name_bytes.ljust(12) + b"20261102" + b"    100.10"
    table = dbfread.DBF(str(path), encoding=encoding, char_decode_errors="strict")
    got = [dict(r) for r in table]
    neighbour = {"cp866": "Кам'янець i"}.get(encoding, "Кам'янець і")
    assert [r["NAME"] for r in got] == [name_bytes.decode(encoding), neighbour, "", "2026-01-02 0"]
    assert [r["DAY"] for r in got] == [dt.date(2026, 11, 2), dt.date(2026, 11, 3), None, None]
    assert [r["N"] for r in got] == [1, 2, 3, 4]
    assert sum(r["SUMMA"] or 0 for r in got) == pytest.approx(100.09)
    assert sum(Decimal(str(r["SUMMA"])) for r in got if r["SUMMA"] is not None) == Decimal("100.09")


def test_dbf_number_too_wide_is_refused(tmp_path):
    with pytest.raises(ValueError, match="SUMMA: 123456789.00 does not fit N"):
        write_dbf(tmp_path / "w.dbf", COLUMNS, [[1, "", None, "123456789.00"]])


def test_dbf_unknown_code_page_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unsupported DBF code page"):
        write_dbf(tmp_path / "u.dbf", COLUMNS, [], encoding="koi8-u")
