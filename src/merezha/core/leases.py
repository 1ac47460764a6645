"""Leases of background work: which process runs it, whether that process still lives.

A worker that takes work (a snapshot upload's import) takes its lease (`lease_held`): a `Lease` row
naming this process (`host:pid:start`), whose `beat_at` a heartbeat thread renews every
IMPORT_LEASE_SECONDS / 4 on its own database connection, so the beat goes on while the work holds
a long transaction. The work's own rows never carry the beat: on PostgreSQL they are locked by that
transaction, and a second connection could not update them.

A lease's holder is alive when (`lease_alive`):
- it is a process of this machine: the process exists, is no zombie, and started when the holder
  says (a pid used again is another process). This is exact, whatever the beat: on SQLite a long
  import holds the database's only write lock, and the beat waits for it;
- it is a process of another machine: it beat within IMPORT_LEASE_SECONDS.

The recovery steps listed in the setting MEREZHA_RECOVERY (run by `merezha worker` at its start
and every IMPORT_RECOVERY_SECONDS through `recovery_start`, and by `merezha imports-recover`) look for leases whose holder
is dead and re-run or fail their work (`recovery_run`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.module_loading import import_string

from merezha.core.models import Lease

logger = logging.getLogger(__name__)


def _process_start(pid: int) -> str:
    """When process `pid` started (clock ticks since boot, Linux), or "" when unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return ""
    return fields[19].decode() if len(fields) > 19 else ""


def _process_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return False


@cache
def _host() -> str:
    return socket.gethostname()[:30] or "localhost"


def process_holder() -> str:
    """This process as a lease's holder (and a task worker's id): `host:pid:start`, under 64 characters."""
    pid = os.getpid()
    return f"{_host()}:{pid}:{_process_start(pid)}"


def holder_alive(holder: str, beat_at: dt.datetime | None) -> bool:
    """Whether the process `holder` still lives (see the module's text)."""
    host, _, rest = holder.partition(":")
    pid_text, _, start = rest.partition(":")
    if host == _host() and pid_text.isdigit():
        pid = int(pid_text)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # another user's process: it exists
        if _process_zombie(pid):
            return False
        return not start or _process_start(pid) in ("", start)
    if beat_at is None:
        return False
    return beat_at >= timezone.now() - dt.timedelta(seconds=settings.IMPORT_LEASE_SECONDS)


def lease_alive(lease: Lease) -> bool:
    return bool(lease.holder) and holder_alive(lease.holder, lease.beat_at)


def lease_take(*, name: str) -> Lease:
    """Take the lease `name` for this process (in the caller's transaction); a lease left by a run
    that stopped is taken over with one more attempt."""
    now = timezone.now()
    lease, created = Lease.objects.select_for_update().get_or_create(
        name=name, defaults={"holder": process_holder(), "taken_at": now, "beat_at": now}
    )
    if not created:
        lease.holder, lease.taken_at, lease.beat_at = process_holder(), now, now
        lease.attempts += 1
        lease.save(update_fields=["holder", "taken_at", "beat_at", "attempts"])
    return lease


def lease_release(*, name: str) -> None:
    Lease.objects.filter(name=name).delete()


def lease_drop_holder(*, name: str) -> None:
    """The lease's holder is dead and its work waits to run again: keep the lease for its attempts."""
    Lease.objects.filter(name=name).update(holder="")


def _beat(name: str, holder: str, stop: threading.Event, every: float) -> None:
    """The heartbeat thread: renew `beat_at` until `stop` is set (its own database connection)."""
    try:
        while not stop.wait(every):
            try:
                Lease.objects.filter(name=name, holder=holder).update(beat_at=timezone.now())
            except Exception:  # noqa: BLE001 - a locked or lost database: beat again later
                logger.debug("lease %s: heartbeat missed", name, exc_info=True)
    finally:
        connection.close()


@contextmanager
def lease_beating(*, name: str) -> Iterator[None]:
    """Renew this process's lease `name` every IMPORT_LEASE_SECONDS / 4 while the block runs."""
    stop = threading.Event()
    every = max(0.5, settings.IMPORT_LEASE_SECONDS / 4)
    thread = threading.Thread(
        target=_beat, args=(name, process_holder(), stop, every), name=f"lease {name}", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=60)


def recovery_run() -> list[str]:
    """Run every recovery step of the setting MEREZHA_RECOVERY; returns what they did, in words."""
    done: list[str] = []
    for path in getattr(settings, "MEREZHA_RECOVERY", []):
        done.extend(import_string(path)())
    return done


def _recover(write: Any, *, close: bool = True) -> None:
    try:
        for line in recovery_run():
            logger.warning("recovery: %s", line)
            write(f"recovery: {line}")
    except Exception:  # a locked or lost database: the next round tries again
        logger.exception("recovery failed")
    if not close:
        return
    try:
        close_old_connections()  # the recovery thread's own connection
    except Exception:  # noqa: BLE001 - the connection is tried again next round
        logger.debug("recovery: closing the connection failed", exc_info=True)


def recovery_start(*, write: Any = None) -> threading.Event:
    """For a task worker: run the recovery steps now, then every IMPORT_RECOVERY_SECONDS in a daemon
    thread until the returned event is set; `write(line)` hears what they did."""
    out = write or (lambda line: None)
    _recover(out, close=False)  # the worker's own thread: its connection is the worker's to close
    every = max(1, settings.IMPORT_RECOVERY_SECONDS)
    stop = threading.Event()

    def again() -> None:
        while not stop.wait(every):
            _recover(out)

    threading.Thread(target=again, name="recovery", daemon=True).start()
    return stop
