"""An import's report: every fault counted, at most IMPORT_REPORT_MAX_ERRORS of them kept."""

from __future__ import annotations

import time

from merezha.core.imports import ImportReport, RowError, RowErrors


def test_300_000_faults_keep_the_first_lines_and_count_them_all():
    errors = RowErrors(kept=1000)
    started = time.perf_counter()
    errors.extend(RowError(line, "account", "repeated") for line in range(2, 300_002))
    errors.append(RowError(1, "period", "no period"))  # found last, kept first
    assert time.perf_counter() - started < 30  # a few seconds on a shared machine
    assert (errors.total, errors.rows, errors.shown, len(errors)) == (300_001, 300_001, 1000, 300_001)
    kept = sorted(errors)
    assert kept[0] == RowError(1, "period", "no period")
    assert kept[-1] == RowError(1000, "account", "repeated")
    assert errors[-1] == RowError(1, "period", "no period")  # the last kept, in the order found


def test_a_row_with_several_faults_is_one_rejected_row():
    report = ImportReport()
    report.errors = RowErrors(kept=2)
    for column in ("account", "closing", "service"):
        report.reject(5, column, "bad")
    report.reject(7, "closing", "bad")
    assert (report.rows_rejected, report.errors.total, report.errors.shown) == (2, 4, 2)
    data = report.as_dict()
    assert data["errors"] == [
        {"line": 5, "column": "account", "reason": "bad"},
        {"line": 5, "column": "closing", "reason": "bad"},
    ]
    assert (data["rows_rejected"], data["errors_total"]) == (2, 4)


def test_the_report_keeps_what_the_setting_says(settings):
    settings.IMPORT_REPORT_MAX_ERRORS = 3
    report = ImportReport()
    for line in range(10, 0, -1):
        report.reject(line, "", "x")
    assert [e.line for e in sorted(report.errors)] == [1, 2, 3]
    assert report.errors == report.errors and report.errors != [RowError(1, "", "x")]
    assert not ImportReport().errors and ImportReport().errors == []
