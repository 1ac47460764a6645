"""Running an uploaded snapshot's import in a worker, and what happens when the worker dies.

`snapshot_import_task` (django-tasks) runs `snapshot_import_run`: it claims the waiting upload
(`pending` → `running`) and takes its lease (`core.leases`, named `snapshot-import:<id>`) in one
transaction, imports the kept file while a heartbeat renews the lease, and at the end deletes the
file and the lease. The import itself is one transaction: a worker killed half-way leaves the
previous snapshot in force, the upload `running`, its file kept and its lease with a dead holder.

`snapshot_imports_recover` (a recovery step of MEREZHA_RECOVERY: the worker runs it at its start
and every IMPORT_RECOVERY_SECONDS, `merezha imports-recover` by hand) finds such uploads. One that
has run fewer than IMPORT_MAX_ATTEMPTS times and still has its file waits again (`pending`) and is
enqueued anew; any other is `failed` with the reason "the worker stopped". Either way the dead
worker's task is marked failed, so no task stays `RUNNING` for good.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from merezha.core.hooks import imports_applied
from merezha.core.imports import ImportRejected
from merezha.core.leases import (
    holder_alive,
    lease_alive,
    lease_beating,
    lease_drop_holder,
    lease_release,
    lease_take,
)
from merezha.core.models import Lease
from merezha.core.progress import progress_clear, progress_reporter
from merezha.providers.models import Snapshot
from merezha.providers.selectors import snapshot_progress_key
from merezha.providers.services.snapshot_import import snapshot_import

#: Why an upload whose worker died is failed (and the dead worker's task).
WORKER_STOPPED = "the worker stopped"


class WorkerStopped(Exception):
    """The worker running a task died before the task ended (recorded on its task result)."""


def snapshot_lease_name(snapshot_id: int) -> str:
    return f"snapshot-import:{snapshot_id}"


@task()
def snapshot_import_task(snapshot_id: int) -> str:
    """Import a waiting snapshot upload; returns its final status."""
    return snapshot_import_run(snapshot_id=snapshot_id)


def snapshot_import_enqueue(*, snapshot_id: int) -> None:
    """Enqueue the import of a waiting upload (in the caller's transaction, with the database backend)."""
    snapshot_import_task.enqueue(snapshot_id)


def snapshot_import_run(*, snapshot_id: int) -> str:
    """Run a waiting upload's import (the background task). Returns the snapshot's final status.

    A refused file leaves the snapshot `rejected` with its report; an unexpected failure rolls the
    import back (the previous snapshot stays in force) and leaves it `failed`.
    """
    name = snapshot_lease_name(snapshot_id)
    with transaction.atomic():
        updated = Snapshot.objects.filter(pk=snapshot_id, status=Snapshot.Status.PENDING).update(
            status=Snapshot.Status.RUNNING
        )
        lease = lease_take(name=name) if updated else None
    snapshot = Snapshot.objects.select_related("provider", "created_by").get(pk=snapshot_id)
    if lease is None:
        return snapshot.status
    key = snapshot_progress_key(snapshot_id=snapshot_id)
    try:
        fh = open(snapshot.stored_path, "rb")  # noqa: SIM115 (closed in finally, also when open fails below)
    except OSError:
        fh = None
    size = os.fstat(fh.fileno()).st_size if fh is not None else 0

    def read_share() -> dict[str, Any]:
        """How much of the file the reader has consumed, in per cent (XLSX: approximate)."""
        try:
            done = fh.tell() if fh is not None and not fh.closed else 0
        except (OSError, ValueError):
            done = 0
        return {"percent": min(99, done * 100 // size) if size else 0}

    try:
        with lease_beating(name=name):
            report = snapshot_import(
                fh if fh is not None else snapshot.stored_path,
                provider=snapshot.provider,
                period=snapshot.period,
                payments_through=snapshot.payments_through,
                accept_partial=snapshot.accept_partial,
                user=snapshot.created_by,
                name=snapshot.file_name,
                snapshot=snapshot,
                progress=progress_reporter(key=key, extra=read_share),
            )
        imports_applied(report=report)
    except ImportRejected:
        pass
    except Exception as exc:
        Snapshot.objects.filter(pk=snapshot_id).update(
            status=Snapshot.Status.FAILED,
            report={"applied": False, "errors": [], "failure": f"{type(exc).__name__}: {exc}"[:500]},
        )
        raise
    finally:
        if fh is not None:
            fh.close()
        progress_clear(key=key)
        if snapshot.stored_path and os.path.exists(snapshot.stored_path):
            os.unlink(snapshot.stored_path)
        if lease.attempts > 1:  # the report says the import ran again after a worker stopped
            current = Snapshot.objects.filter(pk=snapshot_id).values_list("report", flat=True).first()
            Snapshot.objects.filter(pk=snapshot_id).update(
                stored_path="", report=(current or {}) | {"attempts": lease.attempts}
            )
        else:
            Snapshot.objects.filter(pk=snapshot_id).update(stored_path="")
        lease_release(name=name)
    return Snapshot.objects.values_list("status", flat=True).get(pk=snapshot_id)


def _task_results_of(snapshot_ids: set[int]) -> dict[int, list[Any]]:
    """The unfinished task results (django-tasks' database backend) of these uploads' imports."""
    if "django_tasks_db" not in settings.INSTALLED_APPS or not snapshot_ids:
        return {}
    from django_tasks_db.models import DBTaskResult

    found: dict[int, list[Any]] = {}
    paths = (snapshot_import_task.module_path, "merezha.providers.tasks.snapshot_import_task")
    for result in DBTaskResult.objects.filter(task_path__in=paths, status__in=("READY", "RUNNING")):
        args = (result.args_kwargs or {}).get("args") or [None]
        if args[0] in snapshot_ids:
            found.setdefault(int(args[0]), []).append(result)
    return found


def _database_tasks() -> bool:
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    return str(backend).startswith("django_tasks_db")


def snapshot_imports_recover() -> list[str]:
    """Re-run or fail the uploads whose worker died (see the module's text); returns what it did."""
    done: list[str] = []
    running = list(Snapshot.objects.filter(status=Snapshot.Status.RUNNING).values_list("pk", "stored_path"))
    leases = {lease.name: lease for lease in Lease.objects.filter(name__startswith="snapshot-import:")}
    tasks = _task_results_of({pk for pk, _ in running})
    for snapshot_id, stored_path in running:
        name = snapshot_lease_name(snapshot_id)
        lease = leases.get(name)
        if lease is not None and lease_alive(lease):
            continue
        attempts = lease.attempts if lease is not None else 1
        again = attempts < settings.IMPORT_MAX_ATTEMPTS and bool(stored_path) and os.path.exists(stored_path)
        with transaction.atomic():
            if again:
                changed = Snapshot.objects.filter(pk=snapshot_id, status=Snapshot.Status.RUNNING).update(
                    status=Snapshot.Status.PENDING,
                    report={"applied": False, "errors": [], "notes": [f"{WORKER_STOPPED}; runs again"]},
                )
            else:
                changed = Snapshot.objects.filter(pk=snapshot_id, status=Snapshot.Status.RUNNING).update(
                    status=Snapshot.Status.FAILED,
                    stored_path="",
                    report={"applied": False, "errors": [], "failure": WORKER_STOPPED, "attempts": attempts},
                )
            if not changed:
                continue
            for result in tasks.get(snapshot_id, []):
                if result.status == "RUNNING":
                    result.set_failed(WorkerStopped(WORKER_STOPPED))
            if again:
                if lease is None:
                    now = timezone.now()
                    Lease.objects.create(name=name, holder="", taken_at=now, beat_at=now, attempts=attempts)
                else:
                    lease_drop_holder(name=name)
                snapshot_import_enqueue(snapshot_id=snapshot_id)
            else:
                lease_release(name=name)
        if not again and stored_path and os.path.exists(stored_path):
            os.unlink(stored_path)
        done.append(f"snapshot {snapshot_id}: {WORKER_STOPPED}; " + ("runs again" if again else "failed"))
    # a waiting upload whose task was lost with its worker (it died between taking the task and
    # claiming the upload) is enqueued again
    if _database_tasks():
        # (waiting a lease's time: a worker takes the task, then the upload, in milliseconds)
        before = timezone.now() - dt.timedelta(seconds=settings.IMPORT_LEASE_SECONDS)
        pending = set(
            Snapshot.objects.filter(status=Snapshot.Status.PENDING, created_at__lt=before).values_list(
                "pk", flat=True
            )
        )
        queued = _task_results_of(pending)
        for snapshot_id in sorted(pending):
            results = queued.get(snapshot_id, [])
            if any(
                r.status == "READY" or holder_alive(r.worker_ids[-1] if r.worker_ids else "", None)
                for r in results
            ):
                continue
            with transaction.atomic():
                for result in results:
                    result.set_failed(WorkerStopped(WORKER_STOPPED))
                snapshot_import_enqueue(snapshot_id=snapshot_id)
            done.append(f"snapshot {snapshot_id}: its task was lost; enqueued again")
    # the lease of an upload that ended, its worker dying after writing the final status
    unfinished = set(
        Snapshot.objects.filter(status__in=(Snapshot.Status.PENDING, Snapshot.Status.RUNNING)).values_list(
            "pk", flat=True
        )
    )
    ended = [
        name
        for name, lease in leases.items()
        if int(name.rsplit(":", 1)[1]) not in unfinished and not lease_alive(lease)
    ]
    Lease.objects.filter(name__in=ended).delete()
    return done
