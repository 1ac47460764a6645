"""Progress files of background work: written atomically, throttled, read back, cleared."""

from __future__ import annotations

import pytest

from merezha.core import progress as progress_module
from merezha.core.progress import progress_clear, progress_read, progress_reporter, progress_write


@pytest.fixture(autouse=True)
def _home(settings, tmp_path):
    settings.HOME = tmp_path


def test_write_read_clear(tmp_path):
    assert progress_read(key="snapshot-7") is None
    progress_write(key="snapshot-7", values={"phase": "reading", "rows": 5000})
    assert progress_read(key="snapshot-7") == {"phase": "reading", "rows": 5000}
    assert [p.name for p in (tmp_path / "progress").iterdir()] == ["snapshot-7.json"]
    progress_clear(key="snapshot-7")
    assert progress_read(key="snapshot-7") is None
    progress_clear(key="snapshot-7")  # clearing twice is harmless


def test_a_torn_or_foreign_file_reads_as_nothing(tmp_path):
    (tmp_path / "progress").mkdir()
    (tmp_path / "progress" / "snapshot-1.json").write_text('{"phase": "rea')
    (tmp_path / "progress" / "snapshot-2.json").write_text("[1, 2]")
    assert progress_read(key="snapshot-1") is None and progress_read(key="snapshot-2") is None


@pytest.mark.parametrize("key", ["", "../etc", "Snapshot-1", "a/b", "x" * 65])
def test_keys_cannot_leave_the_folder(key):
    with pytest.raises(ValueError):
        progress_write(key=key, values={})


def test_reporter_writes_each_phase_and_throttles_within_one(monkeypatch):
    clock = {"now": 100.0}
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: clock["now"])
    report = progress_reporter(key="job-1", extra=lambda: {"percent": 40}, interval=0.5)
    report("reading", 5000)
    assert progress_read(key="job-1") == {"phase": "reading", "rows": 5000, "percent": 40}
    clock["now"] += 0.1
    report("reading", 10000)  # too soon: not written
    assert progress_read(key="job-1") == {"phase": "reading", "rows": 5000, "percent": 40}
    report("merging", 12000)  # a new phase is always written
    assert progress_read(key="job-1") == {"phase": "merging", "rows": 12000, "percent": 40}
    clock["now"] += 0.6
    report("merging", 12000)
    clock["now"] += 0.6
    report("merging", 13000)
    assert progress_read(key="job-1")["rows"] == 13000
