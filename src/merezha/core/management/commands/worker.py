"""`merezha worker`: django-tasks' database worker that also recovers work whose worker died."""

from __future__ import annotations

import logging
import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from merezha.core.leases import process_holder, recovery_run

logger = logging.getLogger(__name__)


class Command(DatabaseWorkerCommand):
    help = (
        "Run the background task worker (django-tasks' db_worker, same options). At its start and "
        "every IMPORT_RECOVERY_SECONDS it runs the recovery steps (MEREZHA_RECOVERY): an import whose "
        "worker died runs again from its kept file, or fails with the reason 'the worker stopped'."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        # the worker's id names this process, so that the recovery can tell whether it still lives
        parser.set_defaults(worker_id=process_holder())

    def handle(self, *args: Any, **options: Any) -> None:
        self._recover()
        every = max(1, settings.IMPORT_RECOVERY_SECONDS)
        threading.Thread(target=self._recover_every, args=(every,), name="recovery", daemon=True).start()
        super().handle(*args, **options)

    def _recover(self) -> None:
        try:
            for line in recovery_run():
                logger.warning("recovery: %s", line)
                self.stdout.write(f"recovery: {line}")
        except Exception:  # a locked or lost database: the next round tries again
            logger.exception("recovery failed")
        finally:
            close_old_connections()

    def _recover_every(self, every: float) -> None:
        while True:
            time.sleep(every)
            self._recover()
