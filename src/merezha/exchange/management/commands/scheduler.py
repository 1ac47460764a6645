"""`merezha scheduler`: the exchange's scheduled jobs: their last runs, or one tick by hand."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from merezha.exchange.selectors import job_status_list
from merezha.exchange.services.scheduler import JOBS, job_run, scheduler_tick


class Command(BaseCommand):
    help = (
        "Show the exchange's scheduled jobs with their last run and result; --tick runs the due jobs "
        "now (as the worker does); --job JOB --slot SLOT runs one job for one slot."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tick", action="store_true", help="run every due job now")
        parser.add_argument(
            "--now", help="with --tick: the moment to run as, YYYY-MM-DDTHH:MM (local time); default now"
        )
        parser.add_argument("--job", choices=sorted(JOBS), help="run this job for --slot")
        parser.add_argument("--slot", help="with --job: the day (YYYY-MM-DD) or month (YYYY-MM)")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["now"]:
            try:
                moment = dt.datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError(f"--now: not a moment YYYY-MM-DDTHH:MM: {options['now']!r}") from None
            now = moment if timezone.is_aware(moment) else timezone.make_aware(moment)
        if options["job"]:
            if not options["slot"]:
                raise CommandError("--job needs --slot")
            run = job_run(job=options["job"], slot=options["slot"], now=now)
            if run is None:
                self.stdout.write(f"{options['job']} {options['slot']}: already done or running")
            else:
                self._run(run)
            return
        if options["tick"]:
            runs = scheduler_tick(now=now)
            for run in runs:
                self._run(run)
            self.stdout.write(f"tick at {timezone.localtime(now):%Y-%m-%d %H:%M}: {len(runs)} run(s)")
            return
        for status in job_status_list(now=now):
            last = status.last
            line = f"{status.name:<16} next {status.next_slot or '-':<12}"
            if last is None:
                line += " never run"
            else:
                line += (
                    f" last {last.slot} {last.status} at {timezone.localtime(last.started_at):%Y-%m-%d %H:%M}"
                    f" (attempts {last.attempts}) {json.dumps(last.result, ensure_ascii=False)}"
                    + (f" error: {last.error}" if last.error else "")
                )
            self.stdout.write(line)

    def _run(self, run: Any) -> None:
        self.stdout.write(
            f"{run.job} {run.slot}: {run.status} {json.dumps(run.result, ensure_ascii=False)}"
            + (f" error: {run.error}" if run.error else "")
        )
