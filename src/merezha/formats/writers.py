"""Writers of the exchange formats: CSV (UTF-8, `;`), XLSX, DBF (dBase III) and JSON.

Columns are given as `(name, dbf_name, dbf_type, width, decimals)`; values as strings (money
already formatted with a dot and two places), dates as `datetime.date`, numbers as ints.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

#: Language-driver byte written for each code page (cp1125 has none: 0).
DBF_DRIVER_BYTE = {"cp1251": 0xC9, "cp866": 0x26, "cp1125": 0x00}


#: Ukrainian letters cp866 lacks, written as their nearest neighbours (as legacy DOS software did).
_CP866_NEIGHBOURS = str.maketrans({"і": "i", "І": "I", "ґ": "г", "Ґ": "Г"})
#: Apostrophe variants that legacy code pages lack, written as the ASCII apostrophe.
_APOSTROPHES = str.maketrans({"ʼ": "'", "’": "'", "‘": "'", "`": "'"})


def legacy_text(text: str, encoding: str) -> str:
    """Text as a legacy code page can hold it: apostrophes and missing letters as their neighbours."""
    if encoding.replace("-", "").lower().startswith("utf"):
        return text
    text = text.translate(_APOSTROPHES)
    if encoding == "cp866":
        text = text.translate(_CP866_NEIGHBOURS)
    return text


@dataclass(frozen=True)
class Column:
    name: str
    dbf_name: str = ""
    dbf_type: str = "C"  # C, N, D
    width: int = 20
    decimals: int = 0


def _text(value: Any) -> str:
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
        for row in rows:
            writer.writerow([legacy_text(_text(v), encoding) for v in row])
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
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("{\n")
        for key, value in (metadata or {}).items():
            fh.write(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False, default=_text)},\n")
        fh.write(f" {json.dumps(rows_key)}: [")
        for row in rows:
            fh.write("\n  " if count == 0 else ",\n  ")
            fh.write(
                json.dumps({c.name: _text(v) for c, v in zip(columns, row, strict=True)}, ensure_ascii=False)
            )
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
    """Money columns (type N with decimals) are written as numbers with two places' format."""
    from decimal import Decimal

    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append([c.name for c in columns])
    count = 0
    for row in rows:
        out: list[Any] = []
        for c, v in zip(columns, row, strict=True):
            if c.dbf_type == "N" and c.decimals and v not in (None, ""):
                cell = WriteOnlyCell(ws, value=Decimal(str(v)))
                cell.number_format = "0.00"
                out.append(cell)
            elif c.dbf_type == "N" and v not in (None, ""):
                out.append(int(v))
            else:
                out.append(_text(v))
        ws.append(out)
        count += 1
    for name, data in (extra_sheets or {}).items():
        extra = wb.create_sheet(name)
        for r in data:
            extra.append([_text(v) if not isinstance(v, (int, Decimal)) else v for v in r])
    wb.save(path)
    return count


def write_dbf(
    path: str | os.PathLike[str],
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    encoding: str = "cp1251",
    today: dt.date | None = None,
) -> int:
    """A dBase III file readable by standard DBF readers; the record count is patched at the end."""
    if encoding not in DBF_DRIVER_BYTE:
        raise ValueError(f"unsupported DBF code page {encoding}")
    today = today or dt.date.today()
    header_len = 32 + 32 * len(columns) + 1
    record_len = 1 + sum(c.width for c in columns)
    count = 0
    with open(path, "wb") as fh:
        fh.write(b"\x00" * header_len)
        for row in rows:
            record = bytearray(b" ")
            for c, v in zip(columns, row, strict=True):
                record += _dbf_cell(c, v, encoding)
            fh.write(bytes(record))
            count += 1
        fh.write(b"\x1a")
        fh.seek(0)
        head = struct.pack(
            "<BBBBIHH20x", 0x03, today.year - 1900, today.month, today.day, count, header_len, record_len
        )
        head = head[:29] + bytes([DBF_DRIVER_BYTE[encoding]]) + head[30:]
        fh.write(head)
        for c in columns:
            name = c.dbf_name.upper().encode("ascii")[:10].ljust(11, b"\x00")
            fh.write(struct.pack("<11sc4xBB14x", name, c.dbf_type.encode("ascii"), c.width, c.decimals))
        fh.write(b"\x0d")
    return count


def _dbf_cell(c: Column, value: Any, encoding: str) -> bytes:
    if c.dbf_type == "D":
        if value in (None, ""):
            return b" " * 8
        if isinstance(value, str):
            value = dt.date.fromisoformat(value[:10])
        return value.strftime("%Y%m%d").encode("ascii")
    if c.dbf_type == "N":
        text = "" if value in (None, "") else str(value)
        if len(text) > c.width:
            raise ValueError(f"{c.dbf_name}: {text} does not fit N({c.width},{c.decimals})")
        return text.rjust(c.width).encode("ascii")
    raw = legacy_text(_text(value), encoding).encode(encoding, "replace")[: c.width]
    return raw.ljust(c.width, b" ")
