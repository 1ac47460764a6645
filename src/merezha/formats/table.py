"""What every reader gives: a `Table` of `(line, {column: text})` rows, and how a value becomes text.

Values are stripped strings; numbers keep their written digits, except that a spreadsheet or JSON
number within a millionth of a two-place decimal is that decimal (binary floating point cannot
hold 220.55); booleans are `true`/`false`; dates are ISO.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import IO, Any

from merezha.formats.errors import FormatError

Row = tuple[int, dict[str, str]]
#: Bytes read at a time where a reader passes over a file (encoding, NUL bytes, DBF code page).
SAMPLE_BYTES = 1 << 18


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


def cell_text(value: Any) -> str:
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


def norm_header(name: Any) -> str:
    return str(name or "").replace("\ufeff", "").strip().lower()


def header_check(header: list[str], line: int | None, fields: list[str] | None = None) -> None:
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


def source_name(source: str | os.PathLike[str] | IO[bytes], name: str | None = None) -> str:
    """The name a report gives the file: `name`, else the path's or the upload's file name."""
    if name:
        return Path(name).name or name
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return Path(str(getattr(source, "name", "") or "upload")).name or "upload"
