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

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import IO

from merezha.formats.csv_reader import open_csv
from merezha.formats.dbf_reader import DBF_LANGUAGE_DRIVERS, open_dbf
from merezha.formats.errors import FormatError
from merezha.formats.json_reader import open_json
from merezha.formats.limits import Limits, limits_in_force
from merezha.formats.sniff import sniff_format
from merezha.formats.table import Row, Table, source_name
from merezha.formats.xlsx_reader import _dimensions_before_the_data, _xlsx_zero_formats, open_xlsx

__all__ = [
    "DBF_LANGUAGE_DRIVERS",
    "FormatError",
    "Limits",
    "Row",
    "Table",
    "_dimensions_before_the_data",
    "_xlsx_zero_formats",
    "open_table",
    "sniff_format",
    "source_name",
]


@contextmanager
def open_table(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    dbf_fields: dict[str, str] | None = None,
    name: str | None = None,
    rows_key: str = "rows",
    row_faults: bool = False,
    limits: Limits | None = None,
) -> Iterator[Table]:
    """Open a table in any exchange format. `dbf_fields` maps DBF field names to column names.

    `limits`: what the file may hold (`formats.limits`), checked while it streams; by default the
    limits in force (the settings' `FILE_LIMITS` under Django).

    `row_faults`: a row broken on its own is given with its fault in `Table.row_faults` rather than
    refusing the file (see there).
    """
    display = source_name(source, name)
    limits = limits or limits_in_force()
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
            yield open_xlsx(fh, display, limits=limits)
        elif kind == "dbf":
            yield open_dbf(fh, display, dbf_fields or {}, limits=limits)
        elif kind == "json":
            yield open_json(fh, display, rows_key, limits=limits, row_faults=row_faults)
        else:
            yield open_csv(fh, display, limits=limits, row_faults=row_faults)
