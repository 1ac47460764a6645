"""Background imports that always end: a lease per running import, recovery when its worker dies."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.utils import timezone

from merezha.core.leases import holder_alive, process_holder
from merezha.core.models import Lease
from merezha.providers.models import Snapshot
from merezha.providers.services import snapshot_imports_recover, snapshot_upload
from merezha.providers.services.import_runs import WORKER_STOPPED, snapshot_lease_name
from tests.providers.conftest import PERIOD, THROUGH

pytestmark = pytest.mark.django_db


@pytest.fixture
def stopped(city, provider, samples, tmp_path):
    """An upload whose worker died mid-import: `running`, its file kept, its lease held by nobody alive."""

    def make(*, attempts: int = 1, holder: str = "elsewhere:4242:1", beat_ago: int = 3600) -> Snapshot:
        kept = tmp_path / f"kept-{attempts}.upload"
        shutil.copy(samples / "snapshot-water-2026-10.csv", kept)
        snapshot = Snapshot.objects.create(
            provider=provider,
            period=PERIOD,
            payments_through=THROUGH,
            file_name="snapshot-water-2026-10.csv",
            stored_path=str(kept),
            status=Snapshot.Status.RUNNING,
        )
        beat = timezone.now() - dt.timedelta(seconds=beat_ago)
        Lease.objects.create(
            name=snapshot_lease_name(snapshot.pk),
            holder=holder,
            taken_at=beat,
            beat_at=beat,
            attempts=attempts,
        )
        return snapshot

    return make


def test_an_import_whose_worker_died_runs_again_from_its_kept_file(stopped):
    snapshot = stopped()
    assert snapshot_imports_recover() == [f"snapshot {snapshot.pk}: {WORKER_STOPPED}; runs again"]
    snapshot.refresh_from_db()
    assert (snapshot.status, snapshot.rows_applied, snapshot.stored_path) == ("applied", 249, "")
    assert snapshot.report["attempts"] == 2
    assert not Lease.objects.exists()


def test_an_import_that_ran_its_attempts_fails_with_the_reason(stopped):
    snapshot = stopped(attempts=2)
    kept = snapshot.stored_path
    assert snapshot_imports_recover() == [f"snapshot {snapshot.pk}: {WORKER_STOPPED}; failed"]
    snapshot.refresh_from_db()
    assert snapshot.status == "failed"
    assert snapshot.report == {"applied": False, "errors": [], "failure": "the worker stopped", "attempts": 2}
    assert not os.path.exists(kept) and snapshot.stored_path == ""
    assert not Lease.objects.exists()


def test_an_import_without_its_file_fails(stopped):
    snapshot = stopped()
    os.unlink(snapshot.stored_path)
    assert snapshot_imports_recover() == [f"snapshot {snapshot.pk}: {WORKER_STOPPED}; failed"]
    assert Snapshot.objects.get(pk=snapshot.pk).report["failure"] == "the worker stopped"


def test_a_live_holder_is_left_alone(stopped):
    here = stopped(holder=process_holder(), beat_ago=3600)  # this process: alive whatever its beat
    elsewhere = stopped(attempts=1, holder="elsewhere:1:1", beat_ago=1)  # another machine, beating
    assert snapshot_imports_recover() == []
    assert Snapshot.objects.get(pk=here.pk).status == Snapshot.Status.RUNNING
    assert Snapshot.objects.get(pk=elsewhere.pk).status == Snapshot.Status.RUNNING


def test_a_dead_process_of_this_machine_is_dead_whatever_its_beat(stopped):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    holder = process_holder().split(":")[0] + f":{child.pid}:1"
    assert not holder_alive(holder, timezone.now())
    snapshot = stopped(holder=holder, beat_ago=0)
    assert snapshot_imports_recover() == [f"snapshot {snapshot.pk}: {WORKER_STOPPED}; runs again"]


def test_a_finished_uploads_lease_left_by_a_dead_worker_is_removed(stopped):
    snapshot = stopped(attempts=1)
    Snapshot.objects.filter(pk=snapshot.pk).update(status=Snapshot.Status.APPLIED)
    assert snapshot_imports_recover() == []
    assert not Lease.objects.exists()


def test_an_upload_takes_and_releases_its_lease(city, provider, samples):
    with open(samples / "snapshot-water-2026-10.csv", "rb") as fh:
        snapshot, _ = snapshot_upload(
            provider=provider,
            user=None,
            fileobj=fh,
            file_name="s.csv",
            period=PERIOD,
            payments_through=THROUGH,
        )
    assert snapshot.status == "applied" and "attempts" not in snapshot.report
    assert not Lease.objects.exists()


def test_the_recovery_command_says_what_it_did(stopped, capsys):
    from django.core.management import call_command

    call_command("imports-recover")
    assert capsys.readouterr().out == "nothing to recover\n"
    snapshot = stopped(attempts=2)
    call_command("imports-recover")
    assert capsys.readouterr().out == f"snapshot {snapshot.pk}: the worker stopped; failed\n"


# --- a real worker killed mid-merge ------------------------------------------------------------------
_SETUP = """
import datetime as dt
from merezha.core.roles import OrgKind
from merezha.organisations.models import Service
from merezha.organisations.services import organisation_create, provider_service_add
from merezha.providers.services import snapshot_upload
water = organisation_create(code="water", name="water", kind=OrgKind.PROVIDER)
provider_service_add(provider=water, service=Service.objects.get(code="water"))
with open({path!r}, "rb") as fh:
    snapshot, _ = snapshot_upload(provider=water, user=None, fileobj=fh, file_name="big.csv",
        period=dt.date(2026, 10, 1), payments_through=dt.date(2026, 10, 31))
print(snapshot.pk)
"""


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_a_worker_killed_mid_merge_leaves_an_upload_that_ends_within_a_minute(tmp_path):
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MEREZHA_TASKS_IMMEDIATE")}
    env |= {
        "MEREZHA_HOME": str(home),
        "DEBUG": "1",
        "IMPORT_RECOVERY_SECONDS": "1",
        "IMPORT_LEASE_SECONDS": "4",
    }
    merezha = [sys.executable, "-m", "merezha.cli"]
    subprocess.run([*merezha, "migrate", "-v", "0"], env=env, check=True, timeout=300)
    big = tmp_path / "big.csv"
    with open(big, "w", encoding="utf-8") as out:  # over 4 MB: read by a reader process of its own
        out.write("account;service;street;house;apartment;payer;tax_id;closing\n")
        for i in range(80_000):
            out.write(f"{i:08d};water;вул. Невідома;{i % 300};{i % 90};Іваненко Іван;;{i % 1000}.50\n")
    setup = subprocess.run(
        [*merezha, "shell", "-c", _SETUP.format(path=str(big))], env=env, check=True, timeout=120,
        capture_output=True, text=True,
    )  # fmt: skip
    snapshot_id = int(setup.stdout.split()[-1])
    database = home / "merezha.sqlite3"
    progress = home / "progress" / f"snapshot-{snapshot_id}.json"

    def status() -> tuple[str, dict]:
        """The upload's status and report; `running` while a task of it has not ended."""
        with sqlite3.connect(database, timeout=30) as db:
            row = db.execute(
                "SELECT status, report FROM providers_snapshot WHERE id = ?", (snapshot_id,)
            ).fetchone()
            unfinished = db.execute(
                "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status IN ('READY', 'RUNNING') "
                "AND task_path LIKE '%snapshot_import_task'"
            ).fetchone()[0]
        return row[0] if not unfinished else "running", json.loads(row[1] or "{}")

    worker_command = [
        *merezha,
        "worker",
        "--no-scheduler",
        "--no-reload",
        "--interval",
        "0.2",
        "--no-startup-delay",
    ]
    worker = subprocess.Popen(worker_command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        phase, deadline = "", time.monotonic() + 120
        while phase not in ("merging", "discrepancies") and time.monotonic() < deadline:
            try:
                phase = json.loads(progress.read_text())["phase"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.01)
        assert phase in ("merging", "discrepancies"), "the import never reached its merge"
        assert _children(worker.pid) == []  # the reader process was reaped when it said its last word
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        killed = time.monotonic()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert status()[0] == "running"

    log = open(home / "worker2.log", "wb")  # noqa: SIM115
    second = subprocess.Popen(worker_command + ["-v", "2"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        while status()[0] not in ("applied", "failed", "rejected") and time.monotonic() - killed < 60:
            time.sleep(0.5)
        final, report = status()
        assert time.monotonic() - killed < 60
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
        log.close()
    assert (final, report.get("attempts"), report.get("rows_applied")) == ("applied", 2, 80_000), (
        report,
        (home / "worker2.log").read_text(),
    )
    with sqlite3.connect(database) as db:
        tasks = db.execute(
            "SELECT status, exception_class_path FROM django_tasks_database_dbtaskresult "
            "WHERE task_path LIKE '%snapshot_import_task' ORDER BY enqueued_at"
        ).fetchall()
        leases = db.execute("SELECT COUNT(*) FROM core_lease").fetchone()[0]
    assert tasks == [
        ("FAILED", "merezha.providers.services.import_runs.WorkerStopped"),
        ("SUCCESSFUL", ""),
    ]
    assert leases == 0
