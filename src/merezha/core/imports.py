"""What every import reports: rows read, applied, rejected, and each rejected row's line, column, reason."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext_noop

#: Reasons `columns_check` gives (marked for translation; see its `translate`).
NO_HEADER = gettext_noop(
    "no header row: the first row must name the columns (%(required)s, …); line %(line)d holds: %(holds)s"
)
MISSING_COLUMN = gettext_noop("required column is missing")


@dataclass(frozen=True, order=True)
class RowError:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "reason": self.reason}


@dataclass
class ImportReport:
    file_name: str = ""
    file_format: str = ""
    encoding: str = ""
    rows_read: int = 0
    rows_applied: int = 0
    errors: list[RowError] = field(default_factory=list)
    #: Counts of what changed (created, updated, left, …) — shown in the summary.
    changes: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    applied: bool = False
    #: Dwellings whose searchable data (residents, payers, accounts) the import changed.
    touched_dwellings: set[int] = field(default_factory=set)
    #: The street directory changed (streets added, renamed, former names): the search's street names.
    streets_changed: bool = False

    @property
    def rows_rejected(self) -> int:
        return len({e.line for e in self.errors})

    def reject(self, line: int, column: str, reason: str) -> None:
        self.errors.append(RowError(line, column, reason))

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file_name,
            "format": self.file_format,
            "encoding": self.encoding,
            "applied": self.applied,
            "rows_read": self.rows_read,
            "rows_applied": self.rows_applied,
            "rows_rejected": self.rows_rejected,
            "changes": dict(self.changes),
            "notes": list(self.notes),
            "errors": [e.as_dict() for e in sorted(self.errors)],
        }


def columns_check(
    report: ImportReport,
    *,
    columns: list[str],
    required: tuple[str, ...] | list[str],
    known: tuple[str, ...] | list[str],
    line: int = 1,
    translate: Callable[[str], str] = str,
) -> bool:
    """True when the header names every required column; otherwise the report says what is missing.

    A header that names none of the file's known columns is not a header at all (a title row above
    it, or another kind of file): that is reported once, quoting what the row holds, rather than as
    every required column missing. `translate` (gettext) localises the reasons for a page that
    shows them in the user's language; the partners' imports report in English.
    """
    missing = [c for c in required if c not in columns]
    if not missing:
        return True
    if not set(columns) & set(known):
        found = [c[:40] for c in columns if c][:4]
        holds = " | ".join(found) if found else "nothing"
        report.reject(
            line,
            "",
            translate(NO_HEADER) % {"required": ", ".join(required), "line": line, "holds": holds},
        )
        return False
    for column in missing:
        report.reject(line, column, translate(MISSING_COLUMN))
    return False


class ImportRejected(Exception):
    """The file was refused whole: nothing changed. `report.errors` says why."""

    def __init__(self, report: ImportReport, message: str = "") -> None:
        super().__init__(message or f"{report.file_name}: {report.rows_rejected} rejected row(s)")
        self.report = report


def file_checksum(source: str | os.PathLike[str] | IO[bytes]) -> str:
    digest = hashlib.sha256()
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    else:
        pos = source.tell()
        source.seek(0)
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
        source.seek(pos)
    return digest.hexdigest()
