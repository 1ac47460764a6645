"""What a file may hold, checked by every reader while it streams (docs/reference/limits.md).

A hostile file (a zip bomb posing as a workbook, one endless CSV line, a DBF header announcing
more than the file holds, JSON nested a million deep) is refused as soon as it passes a limit, with
a FormatError naming the limit, before it costs minutes or gigabytes. The limits are far above
what any partner's real file holds; `Limits()` are the defaults, and the Django settings
`FILE_LIMITS` (and `UPLOAD_MAX_ROWS` per kind of upload) change them (`file_limits`).

This module knows no Django: the snapshot reader process gets its limits from the import.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

#: The most rows a worksheet can have (Excel's own limit); a sheet claiming more is no spreadsheet.
XLSX_SHEET_ROWS = 1_048_576


@dataclass(frozen=True)
class Limits:
    #: Rows (records) of one table, in every format.
    rows: int = 5_000_000
    #: Columns of one table: header fields (CSV, XLSX), DBF fields, keys of one JSON row.
    columns: int = 256
    #: Characters of one value (a cell, a CSV field, a JSON value); Excel's own cell limit.
    cell_chars: int = 32_767
    #: Characters of one CSV line.
    line_chars: int = 1_048_576
    #: XLSX: bytes of all the zip's parts together, once unpacked.
    xlsx_unpacked_bytes: int = 1 << 30
    #: XLSX: how many times bigger than packed a part of over 1 MiB may unpack (zip bombs: thousands).
    xlsx_ratio: int = 500
    #: XLSX: parts of the zip (a workbook has a dozen or two).
    xlsx_parts: int = 1_000
    #: XLSX: bytes of one part other than a worksheet or the shared strings, unpacked (styles, …).
    xlsx_part_bytes: int = 32 << 20
    #: XLSX: count of shared strings (the texts the cells refer to).
    xlsx_shared_strings: int = 1_000_000
    #: XLSX: bytes of the shared strings part, unpacked.
    xlsx_shared_strings_bytes: int = 64 << 20
    #: JSON: depth of nested objects and arrays (a snapshot needs 3).
    json_depth: int = 32

    def with_settings(self, values: dict[str, Any] | None) -> Limits:
        """These limits with `values` (a settings dictionary) in place of some; unknown names refused."""
        if not values:
            return self
        known = {f.name for f in fields(self)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown file limit(s): {', '.join(unknown)}")
        return replace(self, **{k: int(v) for k, v in values.items()})

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def size_text(size: int) -> str:
    """A byte count as people read a limit: `256 MiB`, `32 KiB`, `700 bytes`."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            value = size / (1 << shift)
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} bytes"


def limits_in_force() -> Limits:
    """The limits a reader applies when its caller names none: the settings' (`file_limits`)."""
    return file_limits()


def file_limits(kind: str = "") -> Limits:
    """What a file may hold (settings FILE_LIMITS), with the rows of `kind` (UPLOAD_MAX_ROWS) if it has some."""
    from django.conf import settings  # formats is usable without Django: then the defaults apply

    if not settings.configured:
        return Limits()
    limits = Limits().with_settings(getattr(settings, "FILE_LIMITS", None))
    rows = getattr(settings, "UPLOAD_MAX_ROWS", {}).get(kind)
    return limits.with_settings({"rows": rows}) if rows else limits
