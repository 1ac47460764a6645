"""Streaming readers of CSV, XLSX, DBF and JSON tables (exchange-v1 "Common rules").

Rows come out as `(line, {column: text})`, never the whole file at once:

- CSV: `line` is the physical line where the row starts (the header is line 1, after any blank
  lines above it);
- XLSX: the sheet's row number (the header is the first row that is not empty), first sheet;
- DBF: the record number, counted from 2 so that it reads like a file with a header line;
- JSON: the row's position in the `rows` array, counted from 2 the same way.

A CSV table also gives its rows as `records`: lists of texts in the order of its columns, without a
dictionary per row, for an import that reads many rows.

Values are stripped strings; numbers keep their written digits, except that a spreadsheet or JSON
number within a millionth of a two-place decimal is that decimal (binary floating point cannot
hold 220.55), and that a whole non-negative XLSX number in a cell formatted with zeros only
(`0000000000`) is padded with zeros to the format's width, as Excel shows it (a РНОКПП or an account
number keeps its leading zeros); booleans are `true`/`false`; dates from XLSX and DBF are ISO. A file that cannot be
read is a FormatError naming the line (and column) and the reason, never a traceback.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import IO, Any

from merezha.formats.encoding import best_decoding
from merezha.formats.errors import FormatError

Row = tuple[int, dict[str, str]]
_SAMPLE = 1 << 18
#: DBF language-driver bytes of exchange-v1.
DBF_LANGUAGE_DRIVERS = {0x57: "cp1251", 0xC9: "cp1251", 0x26: "cp866", 0x65: "cp866"}


@dataclass
class Table:
    name: str
    format: str
    encoding: str | None
    columns: list[str]
    rows: Iterator[Row]
    #: Top-level scalar keys of a JSON file; complete once `rows` is exhausted.
    metadata: dict[str, str] = field(default_factory=dict)
    #: Line of the header row (CSV: after any blank lines; XLSX: the first row that is not empty).
    header_line: int = 1
    #: CSV only: the same rows as `rows`, each as a list of texts in the order of `columns`, without
    #: building a dictionary per row (`None` for the other formats). Read `rows` or `records`, not both.
    records: Iterator[tuple[int, list[str]]] | None = None
    #: With `open_table(row_faults=True)`: the faults of rows broken on their own (a CSV row with more
    #: fields than the header), as (line, column, reason). Each is appended just before its row is
    #: given (its values cut to the header's width), for the caller to reject that row alone.
    #: None: such a row refuses the file (a FormatError), for callers that do not look here.
    row_faults: list[tuple[int, str, str]] | None = None


_CENT = Decimal("0.01")
#: A number this close to a two-place decimal is that decimal written through binary floating point.
_FLOAT_NOISE = Decimal("0.000001")


def _number_text(value: Decimal) -> str:
    """A number of a spreadsheet cell or a JSON file in plain positional notation.

    Spreadsheets (and JSON writers doing float arithmetic) hold `12.35` as 12.349999999999999 or
    12.350000000000001: a value within a millionth of a two-place decimal is taken as that decimal.
    Any other value keeps its digits, so an amount of three real decimal places still reads as such.
    """
    if value.adjusted() >= 15:  # no amount, and beyond a float's cents (quantize would overflow)
        # plain digits while they are a plausible number; `1E+999999` stays short, and no amount
        return format(value, "f") if value.adjusted() < 400 else str(value)
    if value and value.adjusted() <= -100:  # `1.5e-300`: no float noise of an amount, written as it came
        return str(value)
    cents = value.quantize(_CENT, rounding=ROUND_HALF_UP)
    if cents != value and abs(value - cents) < _FLOAT_NOISE:
        value = cents
    if value == value.to_integral_value():  # `1234567.0`, `12.00`: a whole number, as XLSX gives it
        return str(int(value))
    return format(value, "f")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # never a number: `true` is no amount of money
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _number_text(value) if value.is_finite() else str(value)
    if isinstance(value, float):  # a number cell of a spreadsheet
        if value.is_integer():
            return str(int(value))
        if not math.isfinite(value):  # NaN or ±inf: no number (the caller refuses the text)
            return str(value)
        return _number_text(Decimal(repr(value)))
    return str(value).strip()


def _norm_header(name: Any) -> str:
    return str(name or "").replace("\ufeff", "").strip().lower()


#: Files that are not an exchange format, recognised by their first bytes, and what to tell the sender.
_NOT_EXCHANGE = (
    (b"\xff\xfe", "UTF-16 text: save the file as UTF-8 or cp1251"),
    (b"\xfe\xff", "UTF-16 text: save the file as UTF-8 or cp1251"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an Excel 97-2003 workbook (.xls) or another old Office document: save it as XLSX or CSV",
    ),
    (b"%PDF", "a PDF document, not CSV, XLSX, DBF or JSON"),
    (b"\x1f\x8b", "a gzip archive: unpack it and send the file inside"),
    (b"Rar!", "a RAR archive: unpack it and send the file inside"),
    (b"7z\xbc\xaf", "a 7-Zip archive: unpack it and send the file inside"),
)


def sniff_format(head: bytes) -> str:
    """`xlsx`, `dbf`, `json` or `csv` from the first bytes; FormatError for a known non-exchange file."""
    for magic, reason in _NOT_EXCHANGE:
        if head.startswith(magic):
            raise FormatError(f"not an exchange file: {reason}")
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        return "json"
    if len(head) >= 32 and head[0] in (
        0x02,
        0x03,
        0x04,
        0x05,
        0x30,
        0x31,
        0x43,
        0x63,
        0x83,
        0x8B,
        0x8E,
        0xF5,
    ):
        header_len, record_len = struct.unpack("<HH", head[8:12])
        month, day = head[2], head[3]
        # the last update's date; some writers leave it zero
        dated = 1 <= month <= 12 and 1 <= day <= 31 or month == day == 0
        if header_len > 32 and record_len > 0 and dated:
            return "dbf"
    return "csv"


def source_name(source: str | os.PathLike[str] | IO[bytes], name: str | None = None) -> str:
    """The name a report gives the file: `name`, else the path's or the upload's file name."""
    if name:
        return Path(name).name or name
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return Path(str(getattr(source, "name", "") or "upload")).name or "upload"


@contextmanager
def open_table(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    dbf_fields: dict[str, str] | None = None,
    name: str | None = None,
    rows_key: str = "rows",
    row_faults: bool = False,
) -> Iterator[Table]:
    """Open a table in any exchange format. `dbf_fields` maps DBF field names to column names.

    `row_faults`: a row broken on its own is given with its fault in `Table.row_faults` rather than
    refusing the file (see there).
    """
    display = source_name(source, name)
    with ExitStack() as stack:
        if isinstance(source, (str, os.PathLike)):
            try:
                fh: IO[bytes] = stack.enter_context(open(source, "rb"))
            except OSError as exc:
                raise FormatError(f"cannot open {display}: {exc.strerror}") from None
        else:
            fh = source
        head = fh.read(4096)
        fh.seek(0)
        if not head.strip(b"\xef\xbb\xbf \t\r\n"):
            raise FormatError("the file is empty")
        kind = sniff_format(head)
        if kind == "xlsx":
            yield _open_xlsx(fh, display)
        elif kind == "dbf":
            yield _open_dbf(fh, display, dbf_fields or {})
        elif kind == "json":
            yield _open_json(fh, display, rows_key, row_faults=row_faults)
        else:
            yield _open_csv(fh, display, row_faults=row_faults)


# --- CSV ---------------------------------------------------------------------------------------
def _detect_text_encoding(fh: IO[bytes]) -> str:
    start = fh.read(3)
    if start == codecs.BOM_UTF8:
        fh.seek(0)
        return "utf-8-sig"
    fh.seek(0)
    while True:
        chunk = fh.read(_SAMPLE)
        if not chunk:
            fh.seek(0)
            return "utf-8"
        if any(b > 127 for b in chunk):
            # complete the last line so that no multi-byte character is cut
            chunk += fh.readline()
            fh.seek(0)
            try:
                chunk.decode("utf-8")
                return "utf-8"
            except UnicodeDecodeError:
                pass
            found = best_decoding(chunk, ["cp1251"], max_bad_share=0.05)
            if found is None:
                raise FormatError("cannot decode the file: it is neither UTF-8 nor cp1251")
            return found


def _encoding_name(encoding: str) -> str:
    return "UTF-8" if encoding.startswith("utf-8") else encoding


def _check_nul(fh: IO[bytes]) -> None:
    """A text file holds no NUL byte (PostgreSQL could not store one): one pass of memchr in C."""
    line = 1
    while True:
        chunk = fh.read(_SAMPLE)
        if not chunk:
            break
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise FormatError(
                "the file holds NUL bytes, which CSV text never has (binary data or UTF-16?)",
                line=line + chunk.count(b"\n", 0, nul),
            )
        line += chunk.count(b"\n")
    fh.seek(0)


def _decoding_error(fh: IO[bytes], encoding: str) -> FormatError:
    """The refusal of a text that does not decode, at the line of its first bad byte.

    Only called once the text reader has failed: it decodes ahead in blocks, so where it stopped
    says little; this pass over the bytes finds the line. A valid file never pays for it.
    """
    fh.seek(0)
    if encoding == "utf-8-sig":  # so that an error's position counts from the start of the text
        fh.read(3)
    decoder = codecs.getincrementaldecoder(encoding.replace("-sig", ""))("strict")
    bom = " (it starts with a UTF-8 byte-order mark)" if encoding == "utf-8-sig" else ""
    reason = f"the text is not valid {_encoding_name(encoding)}{bom}"
    line = 1
    while True:
        chunk = fh.read(_SAMPLE)
        if not chunk:
            break
        pending = len(decoder.getstate()[0])  # bytes of a character cut by the previous chunk
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            return FormatError(reason, line=line + chunk.count(b"\n", 0, max(0, exc.start - pending)))
        line += chunk.count(b"\n")
    return FormatError(f"{reason}: it ends inside a character", line=line)


def _csv_error(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return f"a field is longer than {csv.field_size_limit():,} characters (a quote left open?)"
    if "unexpected end of data" in text:
        return "a quoted field is not closed before the end of the file"
    return f"malformed CSV: {text}"


def _header_check(header: list[str], line: int | None, fields: list[str] | None = None) -> None:
    """Every column name at most once: with two, nobody can tell which one the sender meant.

    `fields`: the DBF field names the columns are read from (a field map, or case folding, may give
    two fields one column); the refusal then names both fields.
    """
    seen: dict[str, int] = {}
    for index, name in enumerate(header):
        if name and name in seen:
            if fields is not None:
                first, second = fields[seen[name]], fields[index]
                reason = f"fields {first} and {second} are both read as column {name!r}"
                raise FormatError(reason, line=line, column=name)
            raise FormatError(f"column {name!r} appears twice in the header", line=line, column=name)
        seen[name] = index


#: DOS's end-of-file mark (Ctrl-Z), with which legacy software ends a text file.
_DOS_EOF = b"\x1a"


class _Prefix(io.RawIOBase):
    """The first `size` bytes of a seekable binary file, read through to it (the rest is not there)."""

    def __init__(self, fh: IO[bytes], size: int) -> None:
        super().__init__()
        self._fh, self._size, self._pos = fh, size, 0
        fh.seek(0)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        self._pos = max(0, min(self._size, base + offset))
        self._fh.seek(self._pos)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        data = self._fh.read(min(len(buffer), self._size - self._pos))
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


def _without_dos_eof(fh: IO[bytes]) -> IO[bytes]:
    """The text without the Ctrl-Z bytes (0x1A) it ends with, if it does: DOS's end-of-file mark, after
    the last line break or right after the last value. A Ctrl-Z anywhere else is text, as it was."""
    fh.seek(0, os.SEEK_END)
    end = size = fh.tell()
    while end:
        step = min(end, 4096)
        fh.seek(end - step)
        block = fh.read(step)
        kept = len(block.rstrip(_DOS_EOF))
        end -= step - kept
        if kept:
            break
    fh.seek(0)
    if end == size:  # the usual file: read as it is, with no layer in between
        return fh
    return io.BufferedReader(_Prefix(fh, end), buffer_size=_SAMPLE)


def _open_csv(fh: IO[bytes], display: str, *, row_faults: bool = False) -> Table:
    fh = _without_dos_eof(fh)
    encoding = _detect_text_encoding(fh)
    _check_nul(fh)
    text = io.TextIOWrapper(fh, encoding=encoding, newline="", errors="strict")
    header_line = 1
    try:
        first = text.readline()
        while first and not first.strip():
            header_line += 1
            first = text.readline()
    except UnicodeDecodeError:
        raise _decoding_error(fh, encoding) from None
    if not first:
        raise FormatError("the file is empty")
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    if first.count(";") == 0 and first.count(",") == 0 and "\t" in first:
        delimiter = "\t"
    try:
        names = next(csv.reader([first], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise FormatError(_csv_error(exc), line=header_line) from None
    header = [_norm_header(h) for h in names]
    _header_check(header, header_line)
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    width = len(header)
    offset = header_line + 1  # line of the text reader's first line
    faults: list[tuple[int, str, str]] | None = [] if row_faults else None

    def records() -> Iterator[tuple[int, list[str]]]:
        line = offset  # where the next row starts: the line a malformed row is reported at
        try:
            for values in reader:
                start = line
                line = reader.line_num + offset
                stripped = list(map(str.strip, values))
                if not any(stripped):
                    continue
                if len(stripped) != width:
                    if len(stripped) > width and any(stripped[width:]):
                        reason = (
                            f"{len(values)} fields where the header has {width} "
                            "(a delimiter inside a value that is not quoted?)"
                        )
                        if faults is None:
                            raise FormatError(reason, line=start)
                        faults.append((start, "", reason))
                    stripped = (stripped + [""] * width)[:width]
                yield start, stripped
        except csv.Error as exc:
            raise FormatError(_csv_error(exc), line=line) from None
        except UnicodeDecodeError:
            raise _decoding_error(fh, encoding) from None

    lists = records()

    def rows() -> Iterator[Row]:
        for start, values in lists:
            yield start, dict(zip(header, values, strict=True))

    return Table(
        display,
        "csv",
        encoding.replace("-sig", ""),
        header,
        rows(),
        header_line=header_line,
        records=lists,
        row_faults=faults,
    )


# --- XLSX --------------------------------------------------------------------------------------
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


def _xlsx_formulas_check(wb: Any, ws: Any, header: list[str]) -> None:
    """Refuse a sheet with a formula whose value was never computed (a file written by a program, not
    saved by Excel or LibreOffice): its cells would read as empty. One pass over the sheet's XML in C."""
    archive, path = getattr(wb, "_archive", None), getattr(ws, "_worksheet_path", None)
    if archive is None or path is None:
        return
    tail = b""
    with archive.open(path) as xml:
        while True:
            chunk = xml.read(1 << 20)
            if not chunk:
                return
            data = tail + chunk
            # most sheets have no formula at all: a substring test in C spares the regex
            has_formula = b"<f" in data or b":f>" in data or b":f " in data
            found = _FORMULA_WITHOUT_VALUE.search(data) if has_formula else None
            if found is not None:
                cells = list(_CELL_REF.finditer(data, 0, found.start()))
                letters, row = (cells[-1].group(1).decode(), int(cells[-1].group(2))) if cells else ("?", 0)
                index = _column_index(letters) if cells else -1
                column = header[index] if 0 <= index < len(header) else ""
                raise FormatError(
                    f"cell {letters}{row} holds a formula without a computed value: open the file in "
                    "Excel or LibreOffice and save it, or write the values instead of formulas",
                    line=row or None,
                    column=column,
                )
            tail = data[-4096:]


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


@cache
def _openpyxl_prepared() -> None:
    """openpyxl with `_dimensions_before_the_data` (once per process; openpyxl is pinned)."""
    from openpyxl.worksheet._reader import WorkSheetParser

    WorkSheetParser.parse_dimensions = _dimensions_before_the_data  # type: ignore[method-assign]


def _open_xlsx(fh: IO[bytes], display: str) -> Table:
    import openpyxl

    _openpyxl_prepared()
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
    try:
        for header_line, candidate in enumerate(it, start=1):  # noqa: B007
            if candidate and not all(map(_blank, candidate)):
                header_row = candidate
                break
        if header_row is None:
            raise FormatError("the workbook's first sheet is empty")
        header = [_norm_header(h) for h in header_row]
        _header_check(header, header_line)
        _xlsx_formulas_check(wb, ws, header)
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
                if not values or all(map(_blank, values)):
                    continue
                yield (
                    number,
                    {h: _cell_text(values[i]) if i < len(values) else "" for i, h in enumerate(header)},
                )
        except _XLSX_ERRORS as exc:
            raise _xlsx_unreadable(exc, "the sheet", number) from None
        finally:
            wb.close()

    return Table(display, "xlsx", None, header, rows(), header_line=header_line)


# --- DBF ---------------------------------------------------------------------------------------
def _dbf_encoding(raw: bytes, language_driver: int) -> str:
    declared = DBF_LANGUAGE_DRIVERS.get(language_driver)
    if declared == "cp1251":
        return "cp1251"
    # zero or cp866: tell cp1125, cp866 and cp1251 apart from the text itself
    order = ["cp866", "cp1125", "cp1251"] if declared == "cp866" else ["cp1125", "cp866", "cp1251"]
    found = best_decoding(raw, order)
    if found in ("cp866", "cp1125") and declared is None and _cp866_or_cp1125_undecided(raw):
        found = None
    if found is None:
        raise FormatError(
            "cannot tell the DBF file's code page (cp1125, cp866 or cp1251) with confidence; "
            "set the language-driver byte or re-save it in cp1251"
        )
    if found == "cp1125" and declared is None and _LATIN_I_IN_CYRILLIC.search(raw):
        found = "cp866" if not any(b in raw for b in _CP1125_ONLY) else found
    return found


#: Bytes 0xF2-0xF5: `Ґ ґ Є є` in cp1125 but `Є є Ї ї` in cp866 - both plausible Ukrainian.
_CP866_CP1125_SHARED = (b"\xf2", b"\xf3", b"\xf4", b"\xf5")
#: Bytes 0xF6-0xF9: `І і Ї ї` in cp1125, `Ў ў ° ∙` in cp866 (which the scoring already finds implausible).
_CP1125_ONLY = (b"\xf6", b"\xf7", b"\xf8", b"\xf9")
#: A Latin `i` between DOS Cyrillic letters (0x80-0xAF, 0xE0-0xEF): how cp866 writers spell `і`.
_LATIN_I_IN_CYRILLIC = re.compile(rb"[\x80-\xaf\xe0-\xef][iI]|[iI][\x80-\xaf\xe0-\xef]")


def _cp866_or_cp1125_undecided(raw: bytes) -> bool:
    """True when the text reads as plausible Ukrainian in both cp866 and cp1125 and differs between them.

    Only bytes 0xF2-0xF5 then tell the pages apart, and each reading is plausible. A cp1125 writer's
    Ukrainian almost always has `і` (0xF7), which would have settled it; without it, a Latin `i` among
    the Cyrillic letters is the cp866 writer's `і`. With neither, the hub does not guess.
    """
    if not any(b in raw for b in _CP866_CP1125_SHARED) or any(b in raw for b in _CP1125_ONLY):
        return False
    return _LATIN_I_IN_CYRILLIC.search(raw) is None


_NON_ASCII_BYTE = re.compile(rb"[\x80-\xff]")


def _dbf_sample(fh: IO[bytes], header_len: int, record_len: int, numrecords: int) -> bytes:
    """The first records that hold a non-ASCII byte, up to 256 KiB of them: what the code page is told from.

    Records of ASCII only (Latin names, numbers, dates) read alike in every code page, so a file whose
    first part is all ASCII is read on, in blocks of about 1 MiB, until the sample is full or the
    records end (`isascii`, in C, passes over 64 KiB of ASCII records at once, so such a stretch
    costs little).
    """
    per_piece = max(1, (1 << 16) // record_len)  # records looked at by one `isascii`, in C
    piece = per_piece * record_len
    per_block = per_piece * 16
    parts: list[bytes] = []
    sampled = 0
    left = numrecords
    fh.seek(header_len)
    while left and sampled < _SAMPLE:
        count = min(per_block, left)
        block = fh.read(count * record_len)
        left -= count
        for offset in range(0, len(block), piece):
            if sampled >= _SAMPLE:
                break
            part = block[offset : offset + piece]
            if part.isascii():
                continue
            pos = 0
            while sampled < _SAMPLE:
                found = _NON_ASCII_BYTE.search(part, pos)
                if found is None:
                    break
                start = found.start() - found.start() % record_len
                parts.append(part[start : start + record_len])
                sampled += record_len
                pos = start + record_len
    return b"".join(parts)


def _open_dbf(fh: IO[bytes], display: str, dbf_fields: dict[str, str]) -> Table:
    header = fh.read(32)
    numrecords, header_len, record_len = struct.unpack("<IHH", header[4:12])
    language_driver = header[29]
    descriptors = fh.read(max(0, header_len - 32))
    fields: list[tuple[str, str, int]] = []
    written: list[str] = []  # the field names as the file writes them, for a refusal to quote
    for i in range(0, len(descriptors) - 31, 32):
        d = descriptors[i : i + 32]
        if d[0] == 0x0D:
            break
        written.append(d[:11].split(b"\x00")[0].decode("ascii", "replace").strip())
        fname = written[-1].upper()
        ftype = chr(d[11])
        # a character field has no decimals: Clipper and Harbour keep the high byte of a length
        # above 255 there (dBase III writes 0, so nothing changes for its files)
        fields.append((fname, ftype, d[16] | d[17] << 8 if ftype == "C" else d[16]))
    if not fields or sum(f[2] for f in fields) + 1 != record_len:
        raise FormatError("not a valid dBase III file: the field descriptors do not add up")
    for fname in written:
        if written.count(fname) > 1:
            raise FormatError(f"field {fname} appears twice in the DBF header", column=fname)
    columns = [dbf_fields.get(f[0], f[0].lower()) for f in fields]
    # two fields read as one column (`LS` and `ACCOUNT`, `ls` and `LS`) would overwrite each other
    _header_check(columns, None, written)
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    complete = (size - header_len) // record_len if size > header_len else 0
    if complete < numrecords:
        raise FormatError(
            f"truncated DBF: the header announces {numrecords} records, the file holds {complete}"
        )
    if complete > numrecords:
        # after the records comes the end-of-file mark (or nothing, or padding); more records there
        # mean a stale count, and reading only what it announces would silently drop the rest
        fh.seek(header_len + numrecords * record_len)
        held = numrecords
        while held < complete and fh.read(1) in (b" ", b"*"):
            held += 1
            fh.seek(record_len - 1, os.SEEK_CUR)
        if held > numrecords:
            raise FormatError(
                f"the DBF header announces {numrecords} records, but the file holds {held}: "
                "its record count is stale"
            )
    # the code page is told from the text only when the language-driver byte does not say cp1251
    told = DBF_LANGUAGE_DRIVERS.get(language_driver) == "cp1251"
    sample = b"" if told else _dbf_sample(fh, header_len, record_len, numrecords)
    encoding = _dbf_encoding(sample, language_driver)

    def rows() -> Iterator[Row]:
        fh.seek(header_len)
        for index in range(numrecords):
            record = fh.read(record_len)
            if len(record) < record_len:
                raise FormatError("truncated DBF record", line=index + 2)
            if record[:1] == b"*":  # deleted
                continue
            values: dict[str, str] = {}
            pos = 1
            for (fname, ftype, flen), column in zip(fields, columns, strict=True):
                chunk = record[pos : pos + flen]
                pos += flen
                values[column] = _dbf_value(chunk, ftype, encoding, index + 2, fname)
            yield index + 2, values

    return Table(display, "dbf", encoding, columns, rows())


def _dbf_value(chunk: bytes, ftype: str, encoding: str, line: int, fname: str) -> str:
    if ftype == "D":
        # an empty date is spaces, zeros or NUL bytes; one that is no YYYYMMDD is given as written, for
        # its column to refuse (a row rejected, or nothing at all in a column the import does not read)
        text = chunk.strip(b" \x00").decode("ascii", "replace").strip()
        if not text or text.strip("0") == "":
            return ""
        if len(text) == 8 and text.isdigit():
            return f"{text[:4]}-{text[4:6]}-{text[6:]}"
        return text
    if ftype == "L":
        text = chunk.decode("ascii", "replace").strip().upper()
        return {"T": "1", "Y": "1", "F": "0", "N": "0"}.get(text, "")
    if ftype in "NF":  # an empty number is spaces, or NUL bytes from some writers
        return chunk.strip(b" \x00").decode("ascii", "replace").strip().replace(",", ".")
    if b"\x00" in chunk:  # a C string: legacy writers end the text with NUL and leave garbage after it
        chunk = chunk[: chunk.index(b"\x00")]
    return chunk.decode(encoding, "replace").strip()


# --- JSON --------------------------------------------------------------------------------------
_JSON_SCALARS = ("string", "number", "boolean", "null")


def _json_error(exc: Exception) -> str:
    """ijson's message on one line (the C backend gives bytes with a caret drawing under them)."""
    raw = exc.args[0] if exc.args else exc
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    first = text.strip().splitlines()[0].strip() if text.strip() else type(exc).__name__
    if "invalid bytes in UTF8" in first:
        return "the JSON text is not valid UTF-8"
    return f"malformed JSON: {first}"


def _open_json(fh: IO[bytes], display: str, rows_key: str, *, row_faults: bool = False) -> Table:
    """An object whose `rows_key` (any case) is an array of row objects, other top-level scalar keys
    being metadata; or a bare array of row objects. A row's values are texts, numbers, booleans or
    null: an object or an array inside a row, a key given twice in a row, a NUL character, or a row
    that is not an object is refused (FormatError with the row's line and the key as column); with
    `row_faults`, that row alone is given with its faults in `Table.row_faults` (a row that is not an
    object as `{}`), and the rows after it are read on."""
    import ijson

    if fh.read(3) != codecs.BOM_UTF8:
        fh.seek(0)
    metadata: dict[str, str] = {}
    columns: list[str] = []
    faults: list[tuple[int, str, str]] | None = [] if row_faults else None

    def fault(reason: str, line: int, column: str = "") -> None:
        if faults is None:
            raise FormatError(reason, line=line, column=column)
        faults.append((line, column, reason))

    def rows() -> Iterator[Row]:
        number = 1
        skip = 0  # depth inside a value that is skipped (an object or a list where a value belongs)
        current: dict[str, str] | None = None
        key = ""
        top: str | None = None  # "map" or "array"
        top_keys: list[str] = []
        items: str | None = None  # ijson's prefix of the row objects
        array: str | None = None  # ijson's prefix of the rows array
        try:
            for prefix, event, value in ijson.parse(fh, use_float=False):
                if skip:
                    if event in ("start_map", "start_array"):
                        skip += 1
                    elif event in ("end_map", "end_array"):
                        skip -= 1
                    continue
                if current is not None:
                    if event == "map_key":
                        key = _norm_header(value)
                        if key in current:
                            fault(f"the key {value!r} appears twice in the row", number, key)
                    elif event == "end_map" and prefix == items:
                        for name in current:
                            if name not in columns:
                                columns.append(name)
                        yield number, current
                        current = None
                    elif event in ("start_map", "start_array"):
                        kind = "an object" if event == "start_map" else "a list"
                        fault(f"a value must be a text or a number, not {kind}", number, key)
                        current.pop(key, None)
                        skip = 1
                    else:
                        text = _cell_text(value)
                        if "\x00" in text:
                            fault("the value holds a NUL character", number, key)
                            text = text.replace("\x00", "")
                        current[key] = text
                    continue
                if top is None:
                    top = "array" if event == "start_array" else "map"
                    if top == "array":
                        array, items = "", "item"
                    continue
                if top == "map" and prefix == "" and event == "map_key":
                    top_keys.append(value)
                    if _norm_header(value) == rows_key and array is None:
                        array, items = value, f"{value}.item"
                    continue
                if (
                    array is not None
                    and prefix == array
                    and prefix != ""
                    or (top == "array" and prefix == "")
                ):
                    if event not in ("start_array", "end_array"):
                        raise FormatError(f"`{rows_key}` must be an array of row objects")
                    continue
                if prefix == items:
                    number += 1
                    if event == "start_map":
                        current = {}
                        continue
                    fault("a row must be an object of column names and values", number)
                    if event == "start_array":
                        skip = 1
                    yield number, {}
                    continue
                if top == "map" and "." not in prefix and prefix and event in _JSON_SCALARS[:3]:
                    metadata[_norm_header(prefix)] = _cell_text(value)
        except ijson.JSONError as exc:
            raise FormatError(_json_error(exc), line=number) from None
        except UnicodeDecodeError:
            raise FormatError("the JSON text is not valid UTF-8") from None
        if top == "map" and array is None:
            keys = ", ".join(top_keys[:8]) or "none"
            raise FormatError(f"no `{rows_key}` array of rows in the JSON object (its keys: {keys})")

    return Table(display, "json", "utf-8", columns, rows(), metadata, row_faults=faults)
