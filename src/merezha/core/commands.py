"""Helpers for the `merezha` commands: a summary on success, every rejected row and a one-line reason on failure."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import CommandError

from merezha.core.hooks import imports_applied
from merezha.core.imports import ImportReport


def command_started() -> float:
    """When the running command began (monotonic): the `merezha` process's start, Django's start-up
    included, or now when the command runs some other way (`call_command`)."""
    cli = sys.modules.get("merezha.cli")
    started = getattr(cli, "STARTED", None)
    return started if started is not None else time.monotonic()


def import_finish(command: Any, report: ImportReport, *, started: float, import_started: float) -> None:
    """After an applied import: run the after-import hooks (the search index), then print the report.

    Its elapsed time is the whole command's, from `started` (`command_started()`), and a line says
    where it went: start-up (Python, Django, the organisation) until `import_started`, the import
    with its commit, the after-import hooks.
    """
    counted = report.elapsed
    before_hooks = time.monotonic()
    imports_applied(report=report)
    finished = time.monotonic()
    report.elapsed = finished - started
    report.notes.append(
        f"time: start-up {import_started - started:.2f} s, import {before_hooks - import_started:.2f} s "
        f"(applying {counted:.2f} s, the rest reading and committing), "
        f"after the import (search index) {finished - before_hooks:.2f} s"
    )
    write_report(command, report)


def report_summary(report: ImportReport) -> str:
    parts = [
        f"{report.file_name} ({report.file_format}{', ' + report.encoding if report.encoding else ''}):",
        f"rows read {report.rows_read}, applied {report.rows_applied}, rejected {report.rows_rejected}",
    ]
    if report.changes:
        parts.append("; changes: " + ", ".join(f"{k} {v}" for k, v in sorted(report.changes.items())))
    parts.append(f"; elapsed {report.elapsed:.2f} s")
    return " ".join(parts)


def write_report(command: Any, report: ImportReport) -> None:
    for error in sorted(report.errors):
        command.stdout.write(f"rejected: {error}")
    for note in report.notes:
        command.stdout.write(note)
    command.stdout.write(report_summary(report))


def fail_report(command: Any, report: ImportReport) -> CommandError:
    for error in sorted(report.errors):
        command.stderr.write(f"rejected: {error}")
    lines = sorted({e.line for e in report.errors})
    shown = ", ".join(str(n) for n in lines[:20])
    more = f" and {len(lines) - 20} more" if len(lines) > 20 else ""
    return CommandError(
        f"{report.file_name}: refused, nothing changed: {report.rows_rejected} rejected row(s) "
        f"(line {shown}{more}); first: {sorted(report.errors)[0] if report.errors else 'no rows'}"
    )
