"""Limits a hostile file cannot pass: each reader refuses it while it streams (formats.limits)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from merezha.formats import FormatError, open_table
from merezha.formats.limits import Limits
from merezha.formats.writers import Column, write_dbf
from tests.workbooks import SHEET, workbook, workbook_part_changed


def refusal(data: bytes, limits: Limits | None = None) -> str:
    with (
        pytest.raises(FormatError) as caught,
        open_table(io.BytesIO(data), limits=limits or Limits()) as table,
    ):
        for _ in table.rows:
            pass
    return str(caught.value)


def read(data: bytes, limits: Limits | None = None) -> list[tuple[int, dict[str, str]]]:
    with open_table(io.BytesIO(data), limits=limits or Limits()) as table:
        return list(table.rows)


# --- CSV -----------------------------------------------------------------------------------------
def test_csv_line_longer_than_the_limit_is_refused_at_its_line():
    data = b"account;closing\nA1;1\nA2;" + b"9" * 5000 + b"\n"
    assert refusal(data, Limits(line_chars=1000)) == "line 3: the line is longer than 1000 characters"


def test_csv_one_endless_line_is_refused_before_it_is_read_whole():
    data = b"account;closing\n" + b"1;" * 3_000_000  # 6 MB, no line break
    started = time.perf_counter()
    assert refusal(data, Limits(line_chars=100_000)) == "line 2: the line is longer than 100000 characters"
    assert time.perf_counter() - started < 2


def test_csv_header_longer_than_the_line_limit_is_refused():
    assert (
        refusal(b"a;" * 1000 + b"\n", Limits(line_chars=100))
        == "line 1: the line is longer than 100 characters"
    )


def test_csv_field_longer_than_a_value_may_be():
    data = b"account;closing\nA1;" + b"9" * 200 + b"\n"
    assert refusal(data, Limits(cell_chars=100)) == (
        "line 2: a field is longer than 100 characters (a quote left open?)"
    )


def test_csv_columns_and_rows():
    assert refusal(b";".join([b"c%d" % i for i in range(20)]) + b"\n1\n", Limits(columns=10)) == (
        "line 1: the header has 20 columns, more than 10"
    )
    data = b"account;closing\n" + b"A;1\n" * 6
    assert refusal(data, Limits(rows=5)) == "line 7: the file has more than 5 rows"
    assert len(read(data, Limits(rows=6))) == 6


def test_a_line_exactly_at_the_limit_is_read():
    data = b"account;closing\nA1;" + b"9" * 16 + b"\n"
    assert read(data, Limits(line_chars=len("A1;") + 16 + 1)) == [(2, {"account": "A1", "closing": "9" * 16})]


# --- DBF -----------------------------------------------------------------------------------------
def _dbf(tmp_path: Path, fields: int, records: int) -> bytes:
    path = tmp_path / "x.dbf"
    columns = [Column(f"f{i}", dbf_name=f"F{i}", width=4) for i in range(fields)]
    write_dbf(path, columns, [[str(r)] * fields for r in range(records)])
    return path.read_bytes()


def test_dbf_fields_and_announced_records(tmp_path):
    assert refusal(_dbf(tmp_path, 12, 1), Limits(columns=10)) == "the DBF header has 12 fields, more than 10"
    data = bytearray(_dbf(tmp_path, 2, 3))
    assert refusal(bytes(data), Limits(rows=2)) == "the DBF header announces 3 records, more than 2"
    data[4:8] = (4_000_000_000).to_bytes(4, "little")  # a header announcing what the file cannot hold
    assert refusal(bytes(data)) == "the DBF header announces 4000000000 records, more than 5000000"


# --- JSON ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("head", [b'{"meta": ', b'{"rows": [{"a": '])
def test_json_nested_a_million_deep_is_refused_at_once(head):
    data = head + b"[" * 1_000_000 + b"]" * 1_000_000 + b"}]}"
    started = time.perf_counter()
    with (
        pytest.raises(FormatError) as caught,
        open_table(io.BytesIO(data), limits=Limits(json_depth=32), row_faults=True) as table,
    ):
        list(table.rows)
    assert caught.value.reason == "the JSON nests deeper than 32 levels"
    assert time.perf_counter() - started < 2


def test_json_keys_rows_and_values():
    row = {f"k{i}": "1" for i in range(20)}
    assert refusal(json.dumps({"rows": [row]}).encode(), Limits(columns=10)) == (
        "line 2: the row has more than 10 keys"
    )
    rows = [{"account": "A"}] * 4
    assert (
        refusal(json.dumps({"rows": rows}).encode(), Limits(rows=3))
        == "line 5: the file has more than 3 rows"
    )
    long = json.dumps({"rows": [{"account": "A" * 50}]}).encode()
    assert (
        refusal(long, Limits(cell_chars=10))
        == "line 2, column account: the value is longer than 10 characters"
    )
    meta = json.dumps({**{f"m{i}": "x" for i in range(20)}, "rows": []}).encode()
    assert refusal(meta, Limits(columns=10)) == "the JSON object has more than 10 keys"


# --- XLSX ----------------------------------------------------------------------------------------
def test_xlsx_rows_cells_columns_and_values():
    book = workbook([["account", "closing"], *[["A", 1]] * 5])
    assert refusal(book, Limits(rows=4)) == "line 6: the sheet has more than 4 rows"
    assert len(read(book, Limits(rows=5))) == 5
    wide = workbook([["account", "closing", *[f"c{i}" for i in range(10)]], ["A", 1]])
    assert refusal(wide, Limits(columns=8)) == "line 1: row 1 has more than 8 cells"
    far = workbook([["account", "closing"], ["A", 1]])
    far = workbook_part_changed(far, SHEET, lambda xml: xml.replace(b'r="B2"', b'r="ZZZ2"'))
    assert refusal(far, Limits(columns=256)) == (
        "line 2: row 2 has a cell in column ZZZ, beyond the first 256 columns a file may have"
    )
    long = workbook([["account", "closing"], ["A" * 50, 1]])
    assert (
        refusal(long, Limits(cell_chars=10))
        == "line 2, column account: the value is longer than 10 characters"
    )


def test_xlsx_row_numbers_beyond_a_sheet_are_refused_without_reading_the_gap():
    book = workbook([["account", "closing"], ["A", 1]])
    book = workbook_part_changed(book, SHEET, lambda xml: xml.replace(b'<row r="2"', b'<row r="2000000000"'))
    book = workbook_part_changed(book, SHEET, lambda xml: xml.replace(b'r="A2"', b'r="A2000000000"'))
    book = workbook_part_changed(book, SHEET, lambda xml: xml.replace(b'r="B2"', b'r="B2000000000"'))
    started = time.perf_counter()
    assert refusal(book, Limits(rows=1000)) == "line 1002: the sheet has more than 1000 rows"
    assert time.perf_counter() - started < 5


def test_xlsx_parts_sizes_and_shared_strings(tmp_path):
    book = workbook([["account", "closing"], ["A", 1]])
    assert refusal(book, Limits(xlsx_unpacked_bytes=1000)).startswith("the workbook unpacks to ")
    assert refusal(book, Limits(xlsx_parts=3)).endswith(" parts, more than 3")
    assert refusal(book, Limits(xlsx_part_bytes=500)).startswith("part ")
    _bomb_shared_strings(tmp_path / "texts.xlsx", 200_000)
    texts = (tmp_path / "texts.xlsx").read_bytes()
    lax = Limits(xlsx_ratio=10_000)
    assert refusal(texts, replace(lax, xlsx_shared_strings=150_000)) == (
        "the workbook has more than 150000 shared strings"
    )
    assert refusal(texts, replace(lax, xlsx_shared_strings_bytes=1000)) == (
        "the shared strings unpack to 3.2 MiB, more than 1000 bytes"
    )
    assert read(texts, lax) == [(2, {"account": "A", "closing": "1"})]


def _bomb_shared_strings(path: Path, count: int) -> None:
    """A workbook of `count` shared strings (20 million: ~1 MB packed, 340 MB unpacked)."""
    book = workbook([["account", "closing"], ["A", 1]])
    with zipfile.ZipFile(io.BytesIO(book)) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename != "[Content_Types].xml":
                dst.writestr(item, src.read(item.filename))
        types = src.read("[Content_Types].xml").replace(
            b"</Types>",
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
            b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        )
        dst.writestr("[Content_Types].xml", types)
        part = zipfile.ZipInfo("xl/sharedStrings.xml")
        part.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(part, "w", force_zip64=True) as out:
            out.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            block = b"<si><t>x</t></si>" * 100_000
            for _ in range(count // 100_000):
                out.write(block)
            out.write(b"</sst>")


def _bomb_ratio(path: Path, size: int) -> None:
    """A workbook whose sheet unpacks to `size` bytes, nearly all of them spaces (a ratio of about 1000)."""
    book = workbook([["account", "closing"], ["A", 1]])
    with zipfile.ZipFile(io.BytesIO(book)) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename != SHEET:
                dst.writestr(item, src.read(item.filename))
        part = zipfile.ZipInfo(SHEET)
        part.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(part, "w", force_zip64=True) as out:
            out.write(
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            block = b" " * (1 << 20)
            for _ in range(size // len(block)):
                out.write(block)
            out.write(b"</sheetData></worksheet>")


_MEASURE = """
import resource, sys, time
from merezha.formats import FormatError, open_table
started = time.perf_counter()
try:
    with open_table(sys.argv[1]) as table:
        for _ in table.rows:
            pass
    print("read")
except FormatError as exc:
    print(exc)
print(round(time.perf_counter() - started, 2))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def _measured(path: Path) -> tuple[str, float, int]:
    """The refusal of `path` read in a process of its own, its seconds and its peak memory (MiB)."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, timeout=120, env=env
    )
    reason, seconds, memory = out.stdout.strip().splitlines()[-3:]
    return reason, float(seconds), int(memory)


def test_the_bomb_of_twenty_million_shared_strings_is_refused_in_seconds_and_megabytes(tmp_path):
    path = tmp_path / "strings.xlsx"
    _bomb_shared_strings(path, 20_000_000)
    assert path.stat().st_size < 2_000_000
    reason, seconds, memory = _measured(path)
    assert reason == "the shared strings unpack to 324.2 MiB, more than 64 MiB"
    assert seconds < 20
    assert memory < 600
    print(f"\n20M shared strings, {path.stat().st_size} bytes: refused in {seconds} s, peak {memory} MiB")


def test_the_bomb_of_twenty_million_shared_strings_under_a_lax_ratio_is_counted_and_refused(
    tmp_path, monkeypatch
):
    """The same bomb when the ratio lets it pass: the shared strings are counted as they stream."""
    path = tmp_path / "strings.xlsx"
    _bomb_shared_strings(path, 20_000_000)
    limits = Limits(xlsx_ratio=10_000, xlsx_shared_strings_bytes=1 << 30, xlsx_unpacked_bytes=1 << 30)
    started = time.perf_counter()
    assert refusal(path.read_bytes(), limits) == "the workbook has more than 1000000 shared strings"
    assert time.perf_counter() - started < 20


def test_a_zip_bomb_sheet_is_refused_from_the_zip_directory(tmp_path):
    path = tmp_path / "ratio.xlsx"
    _bomb_ratio(path, 300 << 20)
    reason, seconds, memory = _measured(path)
    assert reason.startswith("part xl/worksheets/sheet1.xml unpacks to ")
    assert "times its packed size, more than 500 (a zip bomb?)" in reason
    assert seconds < 20
    assert memory < 600
    print(f"\nratio bomb, {path.stat().st_size} bytes: refused in {seconds} s, peak {memory} MiB")
