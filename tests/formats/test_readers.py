import io
import struct

import pytest

from merezha.formats import FormatError, open_table
from merezha.formats.writers import Column, write_dbf


def rows_of(path, **kw):
    with open_table(path, **kw) as t:
        return t, list(t.rows)


def test_csv_cp1251_semicolon(samples):
    t, rows = rows_of(samples / "registry-ZHEK-01.csv")
    assert (t.format, t.encoding, len(rows)) == ("csv", "cp1251", 136)
    assert rows[0][0] == 2
    assert rows[0][1]["dwelling"] == "01000002"


def test_csv_utf8_bom(samples):
    t, rows = rows_of(samples / "snapshot-water-2026-10.csv")
    assert (t.encoding, len(rows)) == ("utf-8", 249)
    assert t.columns[0] == "account"
    assert rows[0][1]["opening"] == "-4,38"


def test_xlsx_floats_kept_exact_enough_to_round(samples):
    t, rows = rows_of(samples / "snapshot-rent-2026-10.xlsx")
    assert (t.format, len(rows)) == ("xlsx", 125)


def test_dbf_cp1125_with_zero_language_byte(samples):
    t, rows = rows_of(samples / "registry-ZHEK-02.dbf", dbf_fields={"KOD": "dwelling", "FAM": "surname"})
    assert (t.format, t.encoding, len(rows)) == ("dbf", "cp1125", 98)
    assert any("і" in r["surname"] for _, r in rows)
    assert not any("ў" in r["surname"] for _, r in rows)


def test_dbf_cp866_declared(samples):
    t, rows = rows_of(samples / "snapshot-heat-2026-10.dbf", dbf_fields={"LS": "account"})
    assert (t.encoding, len(rows)) == ("cp866", 225)


def test_json_metadata(samples):
    t, rows = rows_of(samples / "snapshot-waste-2026-10.json")
    assert len(rows) == 125
    assert t.metadata == {"provider": "waste", "period": "2026-10", "payments_through": "2026-10-31"}


def test_empty_file_refused(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        rows_of(p)


def test_truncated_dbf_refused(tmp_path):
    p = tmp_path / "t.dbf"
    write_dbf(p, [Column("a", "A", "C", 10)], [["x"], ["y"], ["z"]])
    data = p.read_bytes()
    p.write_bytes(data[:-15])
    with pytest.raises(FormatError, match="truncated DBF"):
        rows_of(p)


def test_dbf_round_trip_each_code_page(tmp_path):
    for enc in ("cp1251", "cp866", "cp1125"):
        p = tmp_path / f"{enc}.dbf"
        write_dbf(
            p,
            [Column("street", "STREET", "C", 30), Column("sum", "SUMMA", "N", 12, 2)],
            [["вул. Підгірна", "12.50"], ["Їжакевича", "-3.00"]],
            encoding=enc,
        )
        t, rows = rows_of(p, dbf_fields={"STREET": "street", "SUMMA": "sum"})
        assert t.encoding == enc
        street = "вул. Пiдгiрна" if enc == "cp866" else "вул. Підгірна"  # cp866 lacks і: Latin i
        assert [r for _, r in rows] == [
            {"street": street, "sum": "12.50"},
            {"street": "Їжакевича", "sum": "-3.00"},
        ]


def test_undecodable_csv_refused():
    text = "street;house\n" + "Привет мир, проспект Миру, переулок Садовый;1\n" * 20
    data = io.BytesIO(text.encode("cp866"))
    with pytest.raises(FormatError, match="neither UTF-8 nor cp1251"), open_table(data, name="x.csv") as t:
        list(t.rows)


def test_not_a_workbook(tmp_path):
    p = tmp_path / "x.xlsx"
    p.write_bytes(b"PK\x03\x04garbage" + b"\x00" * 100)
    with pytest.raises(FormatError, match="XLSX"):
        rows_of(p)


def test_malformed_json(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"rows": [{"a": "1"}, {"a": ')
    with pytest.raises(FormatError, match="malformed JSON"):
        rows_of(p)


def test_dbf_header_garbage(tmp_path):
    p = tmp_path / "x.dbf"
    p.write_bytes(bytes([3, 126, 1, 1]) + struct.pack("<IHH", 1, 65, 11) + b"\x00" * 60)
    with pytest.raises(FormatError):
        rows_of(p)
