"""A streamed XLSX writer for large registers: inline strings, numbers, one `0.00` style.

`formats.writers.write_xlsx` goes through openpyxl, which without lxml costs tens of
microseconds per cell — about 30 s for a peak day's registers on a busy 2-core machine. A
register is a plain table, so it is written here straight as SpreadsheetML, row by row, into
the zip (constant memory; the entries carry a fixed date, so the same register gives the same
bytes). openpyxl, Excel and LibreOffice read it.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PR = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
#: one pass: XML escapes, and control characters XML 1.0 cannot hold dropped
_XML_TEXT = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", **{chr(c): None for c in range(32) if c not in (9, 10, 13)}}
)

_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_NS}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cell(value: Any) -> str:
    """One cell; cells carry no reference (readers count them), so an empty one is written as `<c/>`."""
    if value is None or value == "":
        return "<c/>"
    if isinstance(value, str):
        if _SPECIAL.search(value):
            value = value.translate(_XML_TEXT)
        return f'<c t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f"<c><v>{value}</v></c>"
    if isinstance(value, Decimal):
        return f'<c s="1"><v>{value}</v></c>'
    return _cell(str(value))


def _entry(zf: zipfile.ZipFile, name: str, data: str) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data.encode("utf-8"))


def _sheet(zf: zipfile.ZipFile, name: str, rows: Iterable[Sequence[Any]]) -> int:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    count = 0
    with zf.open(info, "w", force_zip64=True) as fh:
        fh.write(
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}"><sheetData>'.encode()
        )
        chunk: list[str] = []
        for r, row in enumerate(rows, start=1):
            chunk.append(f'<row r="{r}">' + "".join(map(_cell, row)) + "</row>")
            count += 1
            if len(chunk) >= 1000:
                fh.write("".join(chunk).encode("utf-8"))
                chunk = []
        fh.write(("".join(chunk) + "</sheetData></worksheet>").encode("utf-8"))
    return count


def write_xlsx_sheets(
    path: str | os.PathLike[str], sheets: Sequence[tuple[str, Iterable[Sequence[Any]]]]
) -> list[int]:
    """Write the sheets in order (name, rows); returns the number of rows written to each."""
    counts = []
    with zipfile.ZipFile(path, "w") as zf:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        _entry(
            zf,
            "[Content_Types].xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="{_CT}">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>",
        )
        _entry(
            zf,
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PR}">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        sheet_list = "".join(
            f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, (name, _) in enumerate(sheets, 1)
        )
        _entry(
            zf,
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_NS}" xmlns:r="{_R}">'
            f"<sheets>{sheet_list}</sheets></workbook>",
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            f'worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        n = len(sheets) + 1
        rels += (
            f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'styles" Target="styles.xml"/>'
        )
        _entry(
            zf,
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PR}">{rels}</Relationships>',
        )
        _entry(zf, "xl/styles.xml", _STYLES)
        for i, (_, rows) in enumerate(sheets, start=1):
            counts.append(_sheet(zf, f"xl/worksheets/sheet{i}.xml", rows))
    return counts
