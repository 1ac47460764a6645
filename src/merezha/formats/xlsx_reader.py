"""XLSX: the first sheet, read row by row (openpyxl's read-only mode); `line` is the sheet's row number
(the header is the first row that is not empty)."""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from functools import cache
from typing import IO, Any

from merezha.formats.errors import FormatError
from merezha.formats.limits import XLSX_SHEET_ROWS, Limits, size_text
from merezha.formats.table import Row, Table, cell_text, header_check, norm_header

#: A formula cell with no computed value (`<f>…</f>` then the cell's end, or an empty `<v/>`).
_FORMULA_WITHOUT_VALUE = re.compile(
    rb"<(?:\w+:)?f\b[^>]*(?:/>|>[^<]*</(?:\w+:)?f>)\s*(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*\br="([A-Z]+)([0-9]+)"')


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>/]")
_CELL_COLUMN = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,4})')
_SHARED_STRING_TAG = re.compile(rb"<(?:\w+:)?si[\s>/]")
#: A tag is never longer than this: a `<` farther from a chunk's end belongs to a tag that is complete.
_TAG_BYTES = 4096


def _complete_tags(xml: IO[bytes]) -> Iterator[bytes]:
    """The XML of a zip part in pieces of about 1 MiB, each cut just before a tag's `<` so that no tag
    is split between two pieces."""
    rest = b""
    while True:
        chunk = xml.read(1 << 20)
        data = rest + chunk
        if not chunk:
            if data:
                yield data
            return
        cut = data.rfind(b"<")
        if cut <= 0 or len(data) - cut > _TAG_BYTES:
            cut = len(data)
        rest = data[cut:]
        yield data[:cut]


def _xlsx_zip_check(fh: IO[bytes], limits: Limits) -> None:
    """Refuse a workbook whose zip would unpack beyond the limits, from its directory alone (the sizes
    it declares bound what Python unpacks: a part that unpacks to more fails its CRC), and one with too
    many shared strings, counted while the part streams. A file that is no zip is left to openpyxl."""
    fh.seek(0)
    try:
        end = zipfile._EndRecData(fh)  # type: ignore[attr-defined]
        if end is None:
            return
        parts = end[zipfile._ECD_ENTRIES_TOTAL]  # type: ignore[attr-defined]
        if parts > limits.xlsx_parts:  # before the directory is read into memory
            raise FormatError(f"the workbook has {parts} parts, more than {limits.xlsx_parts}")
        fh.seek(0)
        with zipfile.ZipFile(fh) as archive:
            total = 0
            strings: zipfile.ZipInfo | None = None
            for info in archive.infolist():
                size, name = info.file_size, info.filename
                total += size
                if size > 1 << 20 and size > limits.xlsx_ratio * max(info.compress_size, 1):
                    raise FormatError(
                        f"part {name} unpacks to {size // max(info.compress_size, 1)} times its packed "
                        f"size, more than {limits.xlsx_ratio} (a zip bomb?)"
                    )
                lower = name.lower()
                if lower.endswith("sharedstrings.xml"):
                    strings = info
                    if size > limits.xlsx_shared_strings_bytes:
                        raise FormatError(
                            f"the shared strings unpack to {size_text(size)}, more than "
                            f"{size_text(limits.xlsx_shared_strings_bytes)}"
                        )
                elif not lower.startswith("xl/worksheets/") and size > limits.xlsx_part_bytes:
                    raise FormatError(
                        f"part {name} unpacks to {size_text(size)}, more than {size_text(limits.xlsx_part_bytes)}"
                    )
            if total > limits.xlsx_unpacked_bytes:
                raise FormatError(
                    f"the workbook unpacks to {size_text(total)}, more than {size_text(limits.xlsx_unpacked_bytes)}"
                )
            if strings is not None:
                count = 0
                with archive.open(strings) as xml:
                    for piece in _complete_tags(xml):
                        count += len(_SHARED_STRING_TAG.findall(piece))
                        if count > limits.xlsx_shared_strings:
                            raise FormatError(
                                f"the workbook has more than {limits.xlsx_shared_strings} shared strings"
                            )
    except _XLSX_ERRORS:
        return  # a damaged zip: openpyxl refuses it with what is wrong
    finally:
        fh.seek(0)


def _xlsx_sheet_scan(wb: Any, ws: Any, limits: Limits) -> tuple[str, int] | None:
    """One pass over the sheet's XML in C before its rows are read: refuse a sheet with more rows than
    the limit, or a row with more cells, or a cell beyond the last column a file may have (openpyxl
    would build every row that wide). Returns the first formula cell whose value was never computed
    (a file written by a program, not saved by Excel or LibreOffice: its cells would read as empty),
    as (column letters, row), for `_xlsx_formula_refusal`; None when there is none."""
    archive, path = getattr(wb, "_archive", None), getattr(ws, "_worksheet_path", None)
    if archive is None or path is None:
        return None
    most_rows = min(limits.rows, XLSX_SHEET_ROWS) + 1  # and the header
    most_cells = limits.columns
    rows = cells = 0
    formula: tuple[str, int] | None = None
    tail = b""

    def row_check(piece: bytes, start: int, end: int) -> None:
        nonlocal cells
        cells += len(_CELL_TAG.findall(piece, start, end))
        if cells > most_cells:
            raise FormatError(f"row {rows} has more than {most_cells} cells", line=rows or None)
        columns = _CELL_COLUMN.findall(piece, start, end)
        if columns and _column_index(columns[-1].decode()) >= most_cells:
            raise FormatError(
                f"row {rows} has a cell in column {columns[-1].decode()}, beyond the first "
                f"{most_cells} columns a file may have",
                line=rows or None,
            )

    with archive.open(path) as xml:
        for piece in _complete_tags(xml):
            if formula is None:
                data = tail + piece
                # most sheets have no formula at all: a substring test in C spares the regex
                has_formula = b"<f" in data or b":f>" in data or b":f " in data
                found = _FORMULA_WITHOUT_VALUE.search(data) if has_formula else None
                if found is not None:
                    refs = list(_CELL_REF.finditer(data, 0, found.start()))
                    formula = (refs[-1].group(1).decode(), int(refs[-1].group(2))) if refs else ("?", 0)
                tail = data[-_TAG_BYTES:]
            position = 0
            for tag in _ROW_TAG.finditer(piece):
                row_check(piece, position, tag.start())
                rows += 1
                if rows > most_rows:
                    raise FormatError(f"the sheet has more than {most_rows - 1} rows", line=rows)
                cells, position = 0, tag.start()
            row_check(piece, position, len(piece))
    return formula


def _xlsx_formula_refusal(formula: tuple[str, int], header: list[str]) -> FormatError:
    letters, row = formula
    index = _column_index(letters) if letters != "?" else -1
    column = header[index] if 0 <= index < len(header) else ""
    return FormatError(
        f"cell {letters}{row} holds a formula without a computed value: open the file in "
        "Excel or LibreOffice and save it, or write the values instead of formulas",
        line=row or None,
        column=column,
    )


#: A number format of zeros only (`0000000000`, `00000000`): Excel's way of showing an identifier's
#: leading zeros (a РНОКПП, an ЄДРПОУ, an account number) in a number cell. `0` alone is a plain integer.
_ZEROS_FORMAT = re.compile(r"0{2,}")


def _xlsx_zero_formats(wb: Any) -> set[str]:
    """The workbook's all-zeros number formats that some cell style uses (usually none).

    openpyxl keeps the custom formats the styles refer to in `_number_formats` (no built-in format is
    all zeros but `0`); a sheet without one is read by the fast path of plain values."""
    return {code for code in getattr(wb, "_number_formats", ()) if _ZEROS_FORMAT.fullmatch(str(code))}


def _xlsx_padded_values(rows: Iterator[tuple[Any, ...]], formats: set[str]) -> Iterator[tuple[Any, ...]]:
    """Cell values as `values_only` gives them, except that a whole non-negative number in a cell with an
    all-zeros format is its digits padded with zeros to the format's width, as Excel shows it."""
    for cells in rows:
        values = []
        for cell in cells:
            value = cell.value
            if (type(value) is int or type(value) is float and value.is_integer()) and value >= 0:
                code = cell.number_format
                if code in formats:
                    value = str(int(value)).zfill(len(code))
            values.append(value)
        yield tuple(values)


#: What openpyxl raises for a damaged workbook: a broken zip (BadZipFile, a CRC or `zlib.error` in a
#: part's compressed data, EOFError when it stops short, NotImplementedError or RuntimeError for a
#: compression method Python lacks or an encrypted part), a missing part (KeyError), malformed XML
#: (ElementTree's or lxml's ParseError, both SyntaxError) or a value its descriptors refuse.
_XLSX_ERRORS = (
    zipfile.BadZipFile,
    RuntimeError,
    zlib.error,
    EOFError,
    OSError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    AttributeError,
    SyntaxError,
)


def _xlsx_unreadable(exc: BaseException, part: str, after: int = 0) -> FormatError:
    """A damaged workbook refused with what is wrong with it, on one line; `after`: the last row read."""
    text = str(exc).strip().strip("\"'")
    detail = text.splitlines()[0] if text else type(exc).__name__
    if isinstance(exc, SyntaxError):
        where = f" after row {after}" if after else ""
        detail = f"{part}'s XML is malformed{where} ({detail})"
    elif isinstance(exc, zipfile.BadZipFile) and "not a zip file" in detail:
        detail = "the file is no zip archive, as every XLSX workbook is"
    elif isinstance(exc, (zlib.error, EOFError)) or "CRC" in detail:
        detail = f"its compressed data is damaged: {detail}"
    # the row where the sheet breaks off, when it does
    return FormatError(f"not a readable XLSX workbook: {detail}", line=after + 1 if after else None)


def _blank(value: Any) -> bool:
    """An empty cell: nothing, or a text of spaces only (as a blank CSV line, it is no row)."""
    return value is None or type(value) is str and not value.strip()


def _dimensions_before_the_data(parser: Any) -> tuple[int, int, int, int] | None:
    """`WorkSheetParser.parse_dimensions` of openpyxl, stopping where the sheet's data starts.

    openpyxl's own listens to end events only, and the end of `<sheetData>` is the end of the sheet:
    a sheet without a `<dimension>` (openpyxl's write-only mode, XlsxWriter's constant-memory mode and
    `formats.writers` write none) was parsed whole before its first row was read, 19 s of the 40 s a
    126 MB sheet of 180,914 rows took. The schema puts `<dimension>` before `<sheetData>`, so the
    search can stop at the latter's start. The read-only worksheet calls this once, when it is opened.
    """
    from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
    from openpyxl.worksheet.dimensions import SheetDimension
    from openpyxl.xml.functions import iterparse

    for event, element in iterparse(parser.source, events=("start", "end")):
        if event == "start":
            if element.tag == DATA_TAG:
                return None
            continue
        if element.tag == DIMENSION_TAG:
            return SheetDimension.from_tree(element).boundaries  # type: ignore[no-any-return]
        element.clear()
    return None


def _shared_strings(xml_source: Any) -> list[str]:
    """`openpyxl.reader.strings.read_string_table` without a descriptor object per string: the same
    texts (a string's plain `<t>` and its runs' `<t>`, phonetic runs left out, `x005F_` removed) in
    a third of the time (openpyxl takes 30 µs a string: half a minute for the million the limit allows)."""
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    si, t, r = f"{{{SHEET_MAIN_NS}}}si", f"{{{SHEET_MAIN_NS}}}t", f"{{{SHEET_MAIN_NS}}}r"
    strings = []
    for _, node in iterparse(xml_source):
        if node.tag != si:
            continue
        parts = []
        for child in node:
            if child.tag == t:
                parts.append(child.text or "")
            elif child.tag == r:
                parts.extend(run.text or "" for run in child if run.tag == t)
        strings.append("".join(parts).replace("x005F_", ""))
        node.clear()
    return strings


@cache
def _openpyxl_prepared() -> None:
    """openpyxl with `_dimensions_before_the_data` and `_shared_strings` (once per process; openpyxl
    is pinned)."""
    import openpyxl.reader.excel
    from openpyxl.worksheet._reader import WorkSheetParser

    WorkSheetParser.parse_dimensions = _dimensions_before_the_data  # type: ignore[method-assign]
    openpyxl.reader.excel.read_string_table = _shared_strings  # type: ignore[assignment]


def open_xlsx(fh: IO[bytes], display: str, *, limits: Limits) -> Table:
    """The first sheet of a workbook; `limits`: the zip (unpacked size, ratio, parts, shared strings)
    checked before openpyxl opens it, the sheet's rows and cells before its rows are read, and the
    length of each value as they are."""
    import openpyxl

    _openpyxl_prepared()
    _xlsx_zip_check(fh, limits)
    try:
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except _XLSX_ERRORS as exc:
        raise _xlsx_unreadable(exc, "the workbook") from None
    if not wb.worksheets:
        wb.close()
        raise FormatError("the workbook has no worksheet")
    ws = wb.worksheets[0]
    # the sheet's `<dimension>` is a writer's hint, and some write a stale one (`A1`): read every
    # cell there is, or rows and columns beyond it would silently be missing from the snapshot
    ws.reset_dimensions()
    zero_formats = _xlsx_zero_formats(wb)
    # a cell's number format costs a cell object per cell: only sheets that have such a format pay it
    it = _xlsx_padded_values(ws.iter_rows(), zero_formats) if zero_formats else ws.iter_rows(values_only=True)
    header_row: tuple[Any, ...] | None = None
    header_line = 0
    most_rows = min(limits.rows, XLSX_SHEET_ROWS) + 1  # and the header
    most_chars = limits.cell_chars
    try:
        formula = _xlsx_sheet_scan(wb, ws, limits)
        for header_line, candidate in enumerate(it, start=1):  # noqa: B007
            if header_line > most_rows:
                raise FormatError(f"the sheet has more than {most_rows - 1} rows", line=header_line)
            if candidate and not all(map(_blank, candidate)):
                header_row = candidate
                break
        if header_row is None:
            raise FormatError("the workbook's first sheet is empty")
        header = [norm_header(h) for h in header_row]
        header_check(header, header_line)
        if formula is not None:
            raise _xlsx_formula_refusal(formula, header)
    except _XLSX_ERRORS as exc:
        wb.close()
        raise _xlsx_unreadable(exc, "the sheet") from None
    except FormatError:
        wb.close()
        raise

    def rows() -> Iterator[Row]:
        number = header_line
        try:
            for number, values in enumerate(it, start=header_line + 1):  # noqa: B007
                if number > most_rows:
                    raise FormatError(f"the sheet has more than {most_rows - 1} rows", line=number)
                if not values or all(map(_blank, values)):
                    continue
                row = {h: cell_text(values[i]) if i < len(values) else "" for i, h in enumerate(header)}
                if max(map(len, row.values()), default=0) > most_chars:
                    column = next(h for h, text in row.items() if len(text) > most_chars)
                    raise FormatError(
                        f"the value is longer than {most_chars} characters", line=number, column=column
                    )
                yield number, row
        except _XLSX_ERRORS as exc:
            raise _xlsx_unreadable(exc, "the sheet", number) from None
        finally:
            wb.close()

    return Table(display, "xlsx", None, header, rows(), header_line=header_line)
