"""`merezha worker`: the django-tasks database worker, with the exchange's scheduler beside it and
the recovery of imports whose worker died (`core.leases.recovery_start`)."""

from __future__ import annotations

import logging
import os
import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from merezha.core.leases import process_holder, recovery_start
from merezha.exchange.services.beat import scheduler_tick_enqueue

logger = logging.getLogger(__name__)


class Command(DbWorkerCommand):
    help = (
        "Run the background task worker (django-tasks' db_worker: uploads, webhook pushes) with the "
        "exchange's scheduler: every EXCHANGE_TICK_SECONDS a tick is queued that closes the day at the "
        "cut-off, issues the monthly change reports and sends reminders (docs/reference/scheduler.md). "
        "At its start and every IMPORT_RECOVERY_SECONDS it also recovers imports whose worker died: "
        "each runs again from its kept file, or fails with the reason 'the worker stopped'."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-scheduler", action="store_true", help="run tasks only (another worker runs the scheduler)"
        )
        # the worker's id names this process, so that the recovery can tell whether it still lives
        parser.set_defaults(worker_id=process_holder())

    def handle(self, *args: Any, **options: Any) -> None:
        scheduler = settings.EXCHANGE_SCHEDULER and not options.pop("no_scheduler", False)
        # with --reload the parent only watches files: the beat runs where the worker does (the child)
        watcher = (
            options.get("reload")
            and not options.get("batch")
            and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        )
        recovery = recovery_start(write=self.stdout.write) if not watcher else None
        if scheduler and not watcher:
            stop = threading.Event()
            beat = threading.Thread(target=_beat, args=(stop,), name="merezha-scheduler", daemon=True)
            beat.start()
        else:
            options.pop("no_scheduler", None)
        try:
            super().handle(*args, **options)
        finally:
            if recovery is not None:
                recovery.set()


def _beat(stop: threading.Event) -> None:
    """Queue a scheduler tick now and every EXCHANGE_TICK_SECONDS (the worker runs it)."""
    while not stop.is_set():
        try:
            scheduler_tick_enqueue()
        except Exception:  # the beat keeps going: a locked or unreachable database is retried next tick
            logger.exception("the scheduler could not queue a tick")
        finally:
            close_old_connections()
        stop.wait(settings.EXCHANGE_TICK_SECONDS)
