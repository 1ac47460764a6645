"""Helpers for the `merezha` commands: a summary on success, every rejected row and a one-line reason on failure."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from merezha.core.imports import ImportReport


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
