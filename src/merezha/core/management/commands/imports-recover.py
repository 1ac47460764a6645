"""`merezha imports-recover`: run the recovery steps once (what the worker does at its start)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from merezha.core.leases import recovery_run


class Command(BaseCommand):
    help = (
        "Find background imports whose worker died (MEREZHA_RECOVERY): run each again from its kept "
        "file, or fail it with the reason 'the worker stopped'. Prints what it did."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = recovery_run()
        for line in done:
            self.stdout.write(line)
        if not done:
            self.stdout.write("nothing to recover")
