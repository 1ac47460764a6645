"""Workbooks for the tests: made with openpyxl, and damaged ones made from them."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

#: The first sheet's part in a workbook openpyxl writes.
SHEET = "xl/worksheets/sheet1.xml"


def workbook(rows: list[list[Any]], *, title: str | None = None) -> bytes:
    """An XLSX of `rows` on its first sheet, under a `title` row when given."""
    import openpyxl

    book = openpyxl.Workbook()
    if title:
        book.active.append([title])
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def workbook_part_changed(data: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    """The workbook `data` with its zip entry `part` passed through `change` (each entry keeps its
    compression): a damaged upload, or a file as another program saves it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            dst.writestr(item, change(content) if item.filename == part else content)
    return out.getvalue()
