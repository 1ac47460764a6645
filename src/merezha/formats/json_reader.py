"""JSON: an object whose `rows` key holds the rows (its other scalar keys are metadata), or a bare array
of rows, parsed as a stream (ijson); `line` is the row's position counted from 2."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import IO

from merezha.formats.errors import FormatError
from merezha.formats.limits import Limits
from merezha.formats.table import Row, Table, cell_text, norm_header

_JSON_SCALARS = ("string", "number", "boolean", "null")
_OPENING = ("start_map", "start_array")
_CLOSING = ("end_map", "end_array")


def _json_error(exc: Exception) -> str:
    """ijson's message on one line (the C backend gives bytes with a caret drawing under them)."""
    raw = exc.args[0] if exc.args else exc
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    first = text.strip().splitlines()[0].strip() if text.strip() else type(exc).__name__
    if "invalid bytes in UTF8" in first:
        return "the JSON text is not valid UTF-8"
    return f"malformed JSON: {first}"


def open_json(
    fh: IO[bytes], display: str, rows_key: str, *, limits: Limits, row_faults: bool = False
) -> Table:
    """An object whose `rows_key` (any case) is an array of row objects, other top-level scalar keys
    being metadata; or a bare array of row objects. A row's values are texts, numbers, booleans or
    null: an object or an array inside a row, a key given twice in a row, a NUL character, or a row
    that is not an object is refused (FormatError with the row's line and the key as column); with
    `row_faults`, that row alone is given with its faults in `Table.row_faults` (a row that is not an
    object as `{}`), and the rows after it are read on. `limits`: the depth of nesting, rows, keys of
    a row (columns) and the length of a value, checked event by event."""
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
        depth = 0
        most_depth, most_rows, most_columns, most_chars = (
            limits.json_depth,
            limits.rows + 1,
            limits.columns,
            limits.cell_chars,
        )
        try:
            for prefix, event, value in ijson.parse(fh, use_float=False):
                if event in _OPENING:
                    depth += 1
                    if depth > most_depth:
                        raise FormatError(f"the JSON nests deeper than {most_depth} levels", line=number)
                elif event in _CLOSING:
                    depth -= 1
                if skip:
                    if event in ("start_map", "start_array"):
                        skip += 1
                    elif event in ("end_map", "end_array"):
                        skip -= 1
                    continue
                if current is not None:
                    if event == "map_key":
                        key = norm_header(value)
                        if key in current:
                            fault(f"the key {value!r} appears twice in the row", number, key)
                        elif len(current) >= most_columns:
                            raise FormatError(f"the row has more than {most_columns} keys", line=number)
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
                        text = cell_text(value)
                        if "\x00" in text:
                            fault("the value holds a NUL character", number, key)
                            text = text.replace("\x00", "")
                        if len(text) > most_chars:
                            fault(f"the value is longer than {most_chars} characters", number, key)
                            text = text[:most_chars]
                        current[key] = text
                    continue
                if top is None:
                    top = "array" if event == "start_array" else "map"
                    if top == "array":
                        array, items = "", "item"
                    continue
                if top == "map" and prefix == "" and event == "map_key":
                    if len(top_keys) < 8:  # as many as a refusal quotes
                        top_keys.append(value)
                    if norm_header(value) == rows_key and array is None:
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
                    if number > most_rows:
                        raise FormatError(f"the file has more than {most_rows - 1} rows", line=number)
                    if event == "start_map":
                        current = {}
                        continue
                    fault("a row must be an object of column names and values", number)
                    if event == "start_array":
                        skip = 1
                    yield number, {}
                    continue
                if top == "map" and "." not in prefix and prefix and event in _JSON_SCALARS[:3]:
                    if len(metadata) >= most_columns:
                        raise FormatError(f"the JSON object has more than {most_columns} keys")
                    metadata[norm_header(prefix)] = cell_text(value)[:most_chars]
        except ijson.JSONError as exc:
            raise FormatError(_json_error(exc), line=number) from None
        except UnicodeDecodeError:
            raise FormatError("the JSON text is not valid UTF-8") from None
        if top == "map" and array is None:
            keys = ", ".join(top_keys[:8]) or "none"
            raise FormatError(f"no `{rows_key}` array of rows in the JSON object (its keys: {keys})")

    return Table(display, "json", "utf-8", columns, rows(), metadata, row_faults=faults)
