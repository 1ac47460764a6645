"""XLSX files of the housing reports, written row by row (openpyxl write_only) to a temporary file
and streamed to the client: memory stays flat however long the list is."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import FileResponse

from merezha.core.money import Money

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_write(path: str, *, sheet: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Money as numbers with two decimals (exact, from Decimal), dates as dates, the rest as given."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    ws.append(list(header))
    count = 0
    for row in rows:
        out: list[Any] = []
        for value in row:
            if isinstance(value, Money):
                cell = WriteOnlyCell(ws, value=value.amount)
                cell.number_format = "0.00"
                out.append(cell)
            elif isinstance(value, dt.date):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "yyyy-mm-dd"
                out.append(cell)
            else:
                out.append("" if value is None else value)
        ws.append(out)
        count += 1
    wb.save(path)
    return count


class _DeletingFile:
    """A file object that removes its path once the response has been sent and closed."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fh = open(path, "rb")  # noqa: SIM115 - closed by the response

    def read(self, size: int = -1) -> bytes:
        return self.fh.read(size)

    def close(self) -> None:
        self.fh.close()
        if os.path.exists(self.path):
            os.unlink(self.path)


def xlsx_response(*, filename: str, sheet: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Any:
    """A streaming FileResponse (typed Any: role-checked views are typed as returning HttpResponse)."""
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        xlsx_write(path, sheet=sheet, header=header, rows=rows)
    except BaseException:
        os.unlink(path)
        raise
    return FileResponse(_DeletingFile(path), as_attachment=True, filename=filename, content_type=XLSX)
