"""XLSX files of the housing reports, written row by row (by `formats.writers.xlsx_write`) to a
temporary file and streamed to the client; memory stays flat however long the list is."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext

from merezha.formats.writers import CONTENT_TYPES, Sheet, xlsx_write

XLSX = CONTENT_TYPES["xlsx"]


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
    """A streaming FileResponse (typed Any: role-checked views are typed as returning HttpResponse).

    The file is for people: the sheet's name and the header (catalogue messages, `gettext_noop`) are
    written in the reader's language."""
    sheet = gettext(sheet)[:31]
    header = [gettext(h) for h in header]
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        xlsx_write(path, sheets=[Sheet(sheet, rows, header=header)])
    except BaseException:
        os.unlink(path)
        raise
    return FileResponse(_DeletingFile(path), as_attachment=True, filename=filename, content_type=XLSX)
