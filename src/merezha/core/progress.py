"""Progress of long background work (an import), readable by the web process while the work runs.

The work runs in one database transaction, so nothing it writes to the database is visible before
it commits; and on SQLite a second connection could not write while the import holds the write
lock. Progress therefore goes to a small JSON file under `MEREZHA_HOME/progress/`, replaced
atomically (write, then rename), written at most every `interval` seconds, and removed when the
work ends.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

_KEY = re.compile(r"^[a-z0-9-]{1,64}$")


def _path(key: str) -> Path:
    if not _KEY.match(key):
        raise ValueError(f"bad progress key {key!r}")
    return Path(settings.HOME) / "progress" / f"{key}.json"


def progress_write(*, key: str, values: dict[str, Any]) -> None:
    """Replace the progress of `key` with `values` (JSON-serialisable), atomically."""
    path = _path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(values), encoding="utf-8")
    os.replace(temporary, path)


def progress_read(*, key: str) -> dict[str, Any] | None:
    """The last progress written for `key`, or None when there is none (not started, or finished)."""
    try:
        value = json.loads(_path(key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def progress_clear(*, key: str) -> None:
    _path(key).unlink(missing_ok=True)


def progress_reporter(
    *, key: str, extra: Callable[[], dict[str, Any]] | None = None, interval: float = 0.5
) -> Callable[[str, int], None]:
    """A `(phase, rows) -> None` callback that writes the progress of `key`, at most every `interval` s.

    A change of phase is always written; `extra()` adds figures of the caller's (a share of the
    file read, say) to every write.
    """
    last: dict[str, Any] = {"at": 0.0, "phase": ""}

    def report(phase: str, rows: int) -> None:
        now = time.monotonic()
        if phase == last["phase"] and now - last["at"] < interval:
            return
        last["at"], last["phase"] = now, phase
        progress_write(key=key, values={"phase": phase, "rows": rows} | (extra() if extra else {}))

    return report
