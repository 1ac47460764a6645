from __future__ import annotations


class FormatError(Exception):
    """A file that cannot be read at all (wrong format, encoding, truncated, missing column)."""

    def __init__(self, reason: str, *, line: int | None = None, column: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column {self.column}")
        return (", ".join(where) + ": " if where else "") + self.reason
