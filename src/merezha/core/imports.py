"""What every import reports: rows read, applied, rejected, and each rejected row's line, column, reason."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import IO, Any


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
