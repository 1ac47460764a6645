"""Writers of the exchange formats: CSV (UTF-8, `;`), XLSX, DBF (dBase III) and JSON — one writer
per format, all streaming (rows are consumed one at a time, memory stays flat).

Columns are given as `(name, dbf_name, dbf_type, width, decimals)`; values as strings (money
already formatted with a dot and two places), dates as `datetime.date`, numbers as ints.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import struct
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from merezha.core.money import Money

#: Language-driver byte written for each code page (cp1125 has none: 0).
DBF_DRIVER_BYTE = {"cp1251": 0xC9, "cp866": 0x26, "cp1125": 0x00}
#: The media type of each exchange file format, for downloads.
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "dbf": "application/x-dbf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


#: Ukrainian letters cp866 lacks, written as their nearest neighbours (as legacy DOS software did).
_CP866_NEIGHBOURS = (("і", "i"), ("І", "I"), ("ґ", "г"), ("Ґ", "Г"))
#: Apostrophe variants that legacy code pages lack, written as the ASCII apostrophe.
_APOSTROPHES = (("ʼ", "'"), ("’", "'"), ("‘", "'"), ("`", "'"))


def legacy_text(text: str, encoding: str) -> str:
    """Text as a legacy code page can hold it: apostrophes and missing letters as their neighbours.

    One letter for one letter, so widths are kept; `str.replace` per letter is far faster than
    `str.translate` with a table on long non-ASCII text (the DBF writer passes whole chunks)."""
    if encoding.replace("-", "").lower().startswith("utf"):
        return text
    pairs = _APOSTROPHES + _CP866_NEIGHBOURS if encoding == "cp866" else _APOSTROPHES
    for old, new in pairs:
        if old in text:
            text = text.replace(old, new)
    return text


@dataclass(frozen=True)
class Column:
    name: str
    dbf_name: str = ""
    dbf_type: str = "C"  # C, N, D
    width: int = 20
    decimals: int = 0


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_csv(
    path: str | os.PathLike[str],
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ";",
) -> int:
    count = 0
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow([c.name for c in columns])
        legacy = not encoding.replace("-", "").lower().startswith("utf")
        for row in rows:
            cells = [_text(v) for v in row]
            if legacy:
                cells = [v if v.isascii() else legacy_text(v, encoding) for v in cells]
            writer.writerow(cells)
            count += 1
    return count


def write_json(
    path: str | os.PathLike[str],
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    metadata: dict[str, Any] | None = None,
    rows_key: str = "rows",
) -> int:
    """Streams `{...metadata, "rows": [{...}, ...]}` without building the document in memory."""
    count = 0
    names = [c.name for c in columns]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("{\n")
        for key, value in (metadata or {}).items():
            fh.write(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False, default=_text)},\n")
        fh.write(f" {json.dumps(rows_key)}: [")
        for row in rows:
            fh.write("\n  " if count == 0 else ",\n  ")
            fh.write(json.dumps(dict(zip(names, map(_text, row), strict=True)), ensure_ascii=False))
            count += 1
        fh.write("\n ]\n}\n")
    return count


def write_xlsx(
    path: str | os.PathLike[str],
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    sheet: str = "lines",
    extra_sheets: dict[str, list[list[Any]]] | None = None,
) -> int:
    """One table as XLSX: a header of the column names, then the rows. Money columns (type N with
    decimals) are numbers with the `0.00` format, other N columns integers, the rest text."""
    kinds = [
        "money" if c.dbf_type == "N" and c.decimals else "int" if c.dbf_type == "N" else "text"
        for c in columns
    ]

    def cells() -> Iterator[list[Any]]:
        for row in rows:
            out: list[Any] = []
            for kind, v in zip(kinds, row, strict=True):
                if kind == "text" or v is None or v == "":
                    out.append(_text(v))
                elif kind == "money":
                    out.append(v if isinstance(v, Money | Decimal) else Decimal(str(v)))
                else:
                    out.append(int(v))
            yield out

    sheets = [Sheet(sheet, cells(), header=[c.name for c in columns])]
    sheets += [Sheet(name, data) for name, data in (extra_sheets or {}).items()]
    return xlsx_write(path, sheets=sheets)[0]


# --- XLSX ----------------------------------------------------------------------------------------
#
# Written straight as SpreadsheetML, row by row, into the zip member: constant memory, and about
# ten times faster than openpyxl's write-only mode (which without lxml costs tens of microseconds a
# cell). Strings are inline, cells carry no reference (readers count them, so an empty cell is
# `<c/>`), zip entries carry a fixed date (the same data gives the same bytes). openpyxl, Excel and
# LibreOffice read the files.


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its name, its rows, and an optional header row written in bold."""

    name: str
    rows: Iterable[Sequence[Any]]
    header: Sequence[str] | None = None


_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml"
#: cell styles: 0 general, 1 money (built-in format 2, "0.00"), 2 date (yyyy-mm-dd), 3 bold header
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_NS}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
#: characters XML 1.0 cannot hold are dropped; markup characters escaped — in one pass
_XML_TEXT = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "\ufffe": None,
        "\uffff": None,
        **{chr(c): None for c in range(32) if c not in (9, 10, 13)},
    }
)
_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = dt.date(1899, 12, 30)


def _xml_text(value: str) -> str:
    return value.translate(_XML_TEXT) if _SPECIAL.search(value) else value


def _cell(value: Any) -> str:
    """One cell: text inline, ints as numbers, Money/Decimal as numbers in `0.00`, dates as dates
    (a datetime as its text), booleans as booleans; None and "" as an empty cell."""
    if value is None or value == "":
        return "<c/>"
    if isinstance(value, str):
        return f'<c t="inlineStr"><is><t xml:space="preserve">{_xml_text(value)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f"<c><v>{value}</v></c>"
    if isinstance(value, Money | Decimal):
        return f'<c s="1"><v>{value}</v></c>'
    if isinstance(value, dt.datetime):
        return _cell(value.isoformat(sep=" ", timespec="seconds"))
    if isinstance(value, dt.date):
        return f'<c s="2"><v>{(value - _EPOCH).days}</v></c>'
    return _cell(str(value))


def _header_cell(value: str) -> str:
    return f'<c t="inlineStr" s="3"><is><t xml:space="preserve">{_xml_text(str(value))}</t></is></c>'


def _sheet_name(name: str) -> str:
    """A name Excel accepts: no []:*?/\\, at most 31 characters, escaped for an attribute."""
    clean = re.sub(r"[\[\]:*?/\\]", " ", name)[:31] or "Sheet"
    return _xml_text(clean).replace('"', "&quot;")


def _zip_entry(zf: zipfile.ZipFile, name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    # the fastest deflate level (the attribute is private before Python 3.13)
    setattr(info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel", 1)  # noqa: B010
    return info


def _sheet_write(zf: zipfile.ZipFile, part: str, sheet: Sheet) -> int:
    count = 0
    with zf.open(_zip_entry(zf, part), "w", force_zip64=True) as fh:
        fh.write(f'{_XML}<worksheet xmlns="{_NS}"><sheetData>'.encode())
        r = 0
        chunk: list[str] = []
        if sheet.header is not None:
            r = 1
            chunk.append('<row r="1">' + "".join(map(_header_cell, sheet.header)) + "</row>")
        for row in sheet.rows:
            r += 1
            chunk.append(f'<row r="{r}">' + "".join(map(_cell, row)) + "</row>")
            count += 1
            if len(chunk) >= 2000:
                fh.write("".join(chunk).encode())
                chunk = []
        chunk.append("</sheetData></worksheet>")
        fh.write("".join(chunk).encode())
    return count


def xlsx_write(path: str | os.PathLike[str], *, sheets: Sequence[Sheet]) -> list[int]:
    """Write the sheets in order, streaming each sheet's rows; returns the data rows (header not
    counted) written to each sheet. Cell types: see `_cell`."""
    if not sheets:
        raise ValueError("an XLSX file needs at least one sheet")
    n = len(sheets)
    counts = []
    with zipfile.ZipFile(path, "w") as zf:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_MIME}.worksheet+xml"/>'
            for i in range(1, n + 1)
        )
        parts = {
            "[Content_Types].xml": (
                f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                f'<Override PartName="/xl/workbook.xml" ContentType="{_MIME}.sheet.main+xml"/>'
                f'<Override PartName="/xl/styles.xml" ContentType="{_MIME}.styles+xml"/>{overrides}</Types>'
            ),
            "_rels/.rels": (
                f'{_XML}<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
                f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ),
            "xl/workbook.xml": (
                f'{_XML}<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>'
                + "".join(
                    f'<sheet name="{_sheet_name(s.name)}" sheetId="{i}" r:id="rId{i}"/>'
                    for i, s in enumerate(sheets, 1)
                )
                + "</sheets></workbook>"
            ),
            "xl/_rels/workbook.xml.rels": (
                f'{_XML}<Relationships xmlns="{_PKG}">'
                + "".join(
                    f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                    for i in range(1, n + 1)
                )
                + f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
            ),
            "xl/styles.xml": _STYLES,
        }
        for name, data in parts.items():
            zf.writestr(_zip_entry(zf, name), data.encode())
        for i, sheet in enumerate(sheets, start=1):
            counts.append(_sheet_write(zf, f"xl/worksheets/sheet{i}.xml", sheet))
    return counts


# --- DBF -----------------------------------------------------------------------------------------


def write_dbf(
    path: str | os.PathLike[str],
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    encoding: str = "cp1251",
    today: dt.date | None = None,
) -> int:
    """A dBase III file readable by standard DBF readers; the record count is patched at the end.

    The exchange code pages (cp1251, cp866, cp1125) are single-byte and the legacy substitutions
    are one letter for one letter, so records are laid out as text and a chunk of records is
    substituted and encoded in one call (cell-by-cell encoding was the slowest part of a peak
    day's files). Dates are formatted once per distinct value.
    """
    if encoding not in DBF_DRIVER_BYTE:
        raise ValueError(f"unsupported DBF code page {encoding}")
    today = today or dt.date.today()
    header_len = 32 + 32 * len(columns) + 1
    record_len = 1 + sum(c.width for c in columns)
    layout = [(c.dbf_type, c.width, c.dbf_name, c.decimals) for c in columns]
    count = 0
    dates: dict[Any, str] = {}

    def flush(chunk: list[str]) -> bytes:
        text = "".join(chunk)
        if not text.isascii():
            text = legacy_text(text, encoding)
        return text.encode(encoding, "replace")

    with open(path, "wb") as fh:
        fh.write(b"\x00" * header_len)
        chunk: list[str] = []
        for row in rows:
            parts = [" "]
            for (kind, width, name, decimals), value in zip(layout, row, strict=True):
                if kind == "D":
                    if value is None or value == "":
                        parts.append(" " * 8)
                    else:
                        text = dates.get(value)
                        if text is None:
                            day = dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value
                            text = dates[value] = day.strftime("%Y%m%d")
                        parts.append(text)
                elif kind == "N":
                    text = "" if value is None or value == "" else str(value)
                    if len(text) > width:
                        raise ValueError(f"{name}: {text} does not fit N({width},{decimals})")
                    parts.append(text.rjust(width))
                else:
                    parts.append(_text(value)[:width].ljust(width))
            chunk.append("".join(parts))
            count += 1
            if len(chunk) >= 2000:
                fh.write(flush(chunk))
                chunk = []
        fh.write(flush(chunk) + b"\x1a")
        fh.seek(0)
        head = struct.pack(
            "<BBBBIHH20x", 0x03, today.year - 1900, today.month, today.day, count, header_len, record_len
        )
        head = head[:29] + bytes([DBF_DRIVER_BYTE[encoding]]) + head[30:]
        fh.write(head)
        for c in columns:
            field = c.dbf_name.upper().encode("ascii")[:10].ljust(11, b"\x00")
            fh.write(struct.pack("<11sc4xBB14x", field, c.dbf_type.encode("ascii"), c.width, c.decimals))
        fh.write(b"\x0d")
    return count
