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
        top_key = ""  # the top-level key whose value comes next
        rows_depth = 0  # depth of the rows array's items (0: not found yet; -1: closed)
        depth = 0  # containers open around the event
        most_depth, most_rows, most_columns, most_chars = (
            limits.json_depth,
            limits.rows + 1,
            limits.columns,
            limits.cell_chars,
        )
        # events without ijson's prefixes: building a prefix per event costs its depth, so a file
        # nested a million deep would take minutes before the depth limit could refuse it
        try:
            for event, value in ijson.basic_parse(fh, use_float=False):
                opening = event in _OPENING
                if opening:
                    depth += 1
                    if depth > most_depth:
                        raise FormatError(f"the JSON nests deeper than {most_depth} levels", line=number)
                elif event in _CLOSING:
                    depth -= 1
                if skip:
                    skip += 1 if opening else -1 if event in _CLOSING else 0
                    continue
                if current is not None:
                    if event == "map_key":
                        key = norm_header(value)
                        if key in current:
                            fault(f"the key {value!r} appears twice in the row", number, key)
                        elif len(current) >= most_columns:
                            raise FormatError(f"the row has more than {most_columns} keys", line=number)
                    elif event == "end_map" and depth == rows_depth - 1:
                        for name in current:
                            if name not in columns:
                                columns.append(name)
                        yield number, current
                        current = None
                    elif opening:
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
                        rows_depth = 2
                    continue
                if rows_depth > 0 and depth == rows_depth - 2 and event == "end_array":
                    rows_depth = -1  # the rows array ends
                    continue
                if rows_depth > 0 and (depth == rows_depth or (depth == rows_depth - 1 and not opening)):
                    # an item of the rows array (its opening raised the depth to the items' depth)
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
                if top == "map" and depth == 1 and event == "map_key":
                    top_key = value
                    if len(top_keys) < 8:  # as many as a refusal quotes
                        top_keys.append(value)
                    continue
                if top == "map" and top_key and (depth == 1 or (depth == 2 and opening)):
                    name, top_key = top_key, ""
                    if norm_header(name) == rows_key and rows_depth == 0:
                        if event != "start_array":
                            raise FormatError(f"`{rows_key}` must be an array of row objects")
                        rows_depth = 3
                        continue
                    if opening:
                        skip = 1  # an object or a list under another key: not the file's business
                    elif event in _JSON_SCALARS[:3]:
                        if len(metadata) >= most_columns:
                            raise FormatError(f"the JSON object has more than {most_columns} keys")
                        metadata[norm_header(name)] = cell_text(value)[:most_chars]
        except ijson.JSONError as exc:
            raise FormatError(_json_error(exc), line=number) from None
        except UnicodeDecodeError:
            raise FormatError("the JSON text is not valid UTF-8") from None
        if top == "map" and rows_depth == 0:
            keys = ", ".join(top_keys[:8]) or "none"
            raise FormatError(f"no `{rows_key}` array of rows in the JSON object (its keys: {keys})")

    return Table(display, "json", "utf-8", columns, rows(), metadata, row_faults=faults)
