"""What every import reports: rows read, applied, rejected, and each rejected row's line, column, reason."""

from __future__ import annotations

import hashlib
import heapq
import os
from collections.abc import Callable, Iterable, Iterator
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


class _Last:
    """A RowError ordered backwards: the heap's first is the greatest error kept."""

    __slots__ = ("error", "seq")

    def __init__(self, error: RowError, seq: int) -> None:
        self.error, self.seq = error, seq

    def __lt__(self, other: _Last) -> bool:
        return other.error < self.error


def _errors_kept() -> int:
    from django.conf import settings

    return int(getattr(settings, "IMPORT_REPORT_MAX_ERRORS", 1000)) if settings.configured else 1000


class RowErrors:
    """The rejected rows' faults of an import: every one counted, at most `kept` of them kept.

    What is kept are the faults of the first lines (in (line, column, reason) order), whatever order
    they are found in, so a file-level fault (line 1) is always among them; `len()` and `total`
    count every fault, `rows` every distinct line (a bitmap: an eighth of a byte per line). A file of
    3 million duplicate rows keeps a report of `kept` rows and the counts, not 3 million rows.
    Iterating gives the kept faults in the order they were found.
    """

    def __init__(self, kept: int | None = None) -> None:
        self.kept = _errors_kept() if kept is None else kept
        self.total = 0
        self._heap: list[_Last] = []
        self._seq = 0
        self._lines = bytearray()
        self.rows = 0

    def append(self, error: RowError) -> None:
        self.total += 1
        line = max(0, error.line)
        byte, bit = line >> 3, 1 << (line & 7)
        if byte >= len(self._lines):
            self._lines.extend(bytes(byte + 1 - len(self._lines) + 1024))
        if not self._lines[byte] & bit:
            self._lines[byte] |= bit
            self.rows += 1
        self._seq += 1
        if len(self._heap) < self.kept:
            heapq.heappush(self._heap, _Last(error, self._seq))
        elif self._heap and error < self._heap[0].error:
            heapq.heapreplace(self._heap, _Last(error, self._seq))

    def extend(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.append(error)

    def _found(self) -> list[RowError]:
        return [item.error for item in sorted(self._heap, key=lambda item: item.seq)]

    def __iter__(self) -> Iterator[RowError]:
        return iter(self._found())

    def __len__(self) -> int:
        return self.total

    def __bool__(self) -> bool:
        return self.total > 0

    def __eq__(self, other: object) -> bool:
        """Equal to a list of the same faults (all kept) in the order found, or to the same RowErrors."""
        if isinstance(other, RowErrors):
            return self.total == other.total and self._found() == other._found()
        if isinstance(other, list):
            return self.total == len(other) and self._found() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RowErrors({self._found()!r}, total={self.total})"

    def __getitem__(self, index: int) -> RowError:
        """The kept faults in the order found (`errors[-1]`: the last kept)."""
        return self._found()[index]

    @property
    def shown(self) -> int:
        return len(self._heap)


@dataclass
class ImportReport:
    file_name: str = ""
    file_format: str = ""
    encoding: str = ""
    rows_read: int = 0
    rows_applied: int = 0
    errors: RowErrors = field(default_factory=RowErrors)
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
        return self.errors.rows

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
            #: the faults of all rejected rows; `errors` keeps the first IMPORT_REPORT_MAX_ERRORS
            "errors_total": self.errors.total,
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
