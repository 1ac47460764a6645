"""The exchange runs itself: the scheduled jobs and the tick that runs the due ones.

A job names the slots that are due at a moment (`due`: the days whose cut-off has passed, the month
whose reports are due) and what one slot's run does (`run`, in one transaction). `scheduler_tick`
claims every due slot that has no run yet — a unique `JobRun` row per (job, slot), so a slot runs
once however many workers tick — and runs it; a failed run is tried again on later ticks, up to
`EXCHANGE_JOB_ATTEMPTS` times. Every job is idempotent on its own as well: the day close, the
change reports and the reminders change nothing when run again for the same slot.

The task worker ticks (`merezha worker`: the django-tasks database worker with a beat thread that
enqueues `scheduler_tick_task` every `EXCHANGE_TICK_SECONDS`), so the jobs run where
every other background task runs; `merezha scheduler --tick` runs one tick by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from merezha.core.inbox import HUB_SENDER
from merezha.core.models import InboxDocument
from merezha.core.roles import OrgKind
from merezha.core.services import inbox_deliver
from merezha.exchange.models import JobRun
from merezha.organisations.models import Organisation

logger = logging.getLogger(__name__)

#: a run still "running" after this long was cut short (the worker stopped): it may be claimed again
STALE_RUN = dt.timedelta(hours=1)


def clock_time(text: str) -> dt.time:
    """ "21:00" → 21:00; a setting that is not HH:MM fails loudly, naming itself."""
    try:
        hh, mm = text.strip().split(":")
        return dt.time(int(hh), int(mm))
    except ValueError:
        raise ValueError(f"a time of day must be HH:MM, not {text!r}") from None


def _local(now: dt.datetime) -> dt.datetime:
    return timezone.localtime(now)


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


def _first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _previous_month(day: dt.date) -> dt.date:
    return _first_of_month(_first_of_month(day) - dt.timedelta(days=1))


# --- the jobs ----------------------------------------------------------------------------------


def day_close_due(now: dt.datetime) -> list[str]:
    """The days whose cut-off has passed, within the catch-up window, oldest first."""
    local = _local(now)
    cut = clock_time(settings.EXCHANGE_DAY_CLOSE_AT)
    today = local.date()
    days = [today - dt.timedelta(days=k) for k in range(settings.EXCHANGE_DAY_CLOSE_CATCH_UP_DAYS, 0, -1)]
    if local >= _at(today, cut):
        days.append(today)
    return [d.isoformat() for d in days]


def day_close_run(slot: str, now: dt.datetime) -> dict[str, Any]:
    """Close the day at every active payment point that has not closed it and issue the registers
    (`registers.services.days_close`, the same service `merezha close-day` calls)."""
    from merezha.registers.services import days_close

    result = days_close(day=dt.date.fromisoformat(slot))
    return {
        "day": slot,
        "points_closed": len(result.closed_points),
        "registers": [
            {"provider": r.provider.code, "number": r.number, "count": r.count} for r in result.registers
        ],
        "lines": sum(r.count for r in result.registers),
    }


def change_reports_due(now: dt.datetime) -> list[str]:
    """Last month, once this month's report day and time have come."""
    local = _local(now)
    first = _first_of_month(local.date())
    day = min(max(settings.EXCHANGE_CHANGE_REPORTS_DAY, 1), 28)
    if local < _at(first + dt.timedelta(days=day - 1), clock_time(settings.EXCHANGE_CHANGE_REPORTS_AT)):
        return []
    return [f"{_previous_month(first):%Y-%m}"]


def change_reports_run(slot: str, now: dt.datetime) -> dict[str, Any]:
    """Issue the month's change report of every active housing office
    (`housing.services.change_report_issue`: one per office, month and provider, never twice)."""
    from merezha.housing.models import ChangeReport
    from merezha.housing.services import change_report_issue

    month = dt.date.fromisoformat(slot + "-01")
    before = ChangeReport.objects.filter(month=month).count()
    offices = list(Organisation.objects.filter(kind=OrgKind.HOUSING_OFFICE, is_active=True).order_by("code"))
    for office in offices:
        change_report_issue(office=office, month=month)
    return {
        "month": slot,
        "offices": len(offices),
        "reports_issued": ChangeReport.objects.filter(month=month).count() - before,
    }


def reminders_due(now: dt.datetime) -> list[str]:
    local = _local(now)
    if local < _at(local.date(), clock_time(settings.EXCHANGE_REMINDERS_AT)):
        return []
    return [local.date().isoformat()]


def _remind(*, recipient: str, slot: str, values: dict[str, Any]) -> bool:
    object_id = f"{slot}:{values['reason']}"
    if InboxDocument.objects.filter(
        kind=InboxDocument.Kind.REMINDER, recipient_code=recipient, object_id=object_id
    ).exists():
        return False
    text = json.dumps(values, sort_keys=True, separators=(",", ":"))
    inbox_deliver(
        kind=InboxDocument.Kind.REMINDER,
        sender_code=HUB_SENDER,
        recipient_code=recipient,
        values=values,
        object_type="exchange.reminder",
        object_id=object_id,
        checksum=hashlib.sha256(text.encode()).hexdigest(),
    )
    return True


def reminders_run(slot: str, now: dt.datetime) -> dict[str, Any]:
    """Remind every provider whose last applied snapshot is older than EXCHANGE_SNAPSHOT_LATE_DAYS
    (or who has none), and every organisation with documents not acknowledged after
    EXCHANGE_ACK_LATE_DAYS: an inbox document (kind `reminder`) each, once a day."""
    from merezha.providers.models import Snapshot

    today = _local(now).date()
    late_days = settings.EXCHANGE_SNAPSHOT_LATE_DAYS
    last_applied = dict(
        Snapshot.objects.filter(status=Snapshot.Status.APPLIED)
        .values("provider_id")
        .annotate(last=Max("applied_at"))
        .values_list("provider_id", "last")
    )
    snapshot_late = 0
    for pk, code in (
        Organisation.objects.filter(kind=OrgKind.PROVIDER, is_active=True)
        .order_by("code")
        .values_list("pk", "code")
    ):
        last = last_applied.get(pk)
        last_day = timezone.localtime(last).date() if last else None
        if last_day is not None and (today - last_day).days <= late_days:
            continue
        values: dict[str, Any] = {
            "reason": "snapshot_late",
            "days": (today - last_day).days if last_day else 0,
            "last": last_day.isoformat() if last_day else "",
        }
        snapshot_late += _remind(recipient=code, slot=slot, values=values)
    ack_days = settings.EXCHANGE_ACK_LATE_DAYS
    unacknowledged = 0
    for row in (
        InboxDocument.objects.exclude(kind=InboxDocument.Kind.REMINDER)
        .exclude(status=InboxDocument.Status.ACKNOWLEDGED)
        .filter(created_at__lt=now - dt.timedelta(days=ack_days))
        .values("recipient_code")
        .annotate(n=Count("pk"))
        .order_by("recipient_code")
    ):
        values = {"reason": "unacknowledged", "count": row["n"], "days": ack_days}
        unacknowledged += _remind(recipient=row["recipient_code"], slot=slot, values=values)
    return {"day": slot, "snapshot_late": snapshot_late, "unacknowledged": unacknowledged}


@dataclass(frozen=True)
class Job:
    name: str
    label: str | Promise
    #: the slots due at a moment
    due: Callable[[dt.datetime], list[str]]
    #: one slot's run (inside a transaction); returns what it did, as plain JSON values
    run: Callable[[str, dt.datetime], dict[str, Any]]


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job("day_close", _("Day close and registers"), day_close_due, day_close_run),
        Job("change_reports", _("Monthly change reports"), change_reports_due, change_reports_run),
        Job("reminders", _("Reminders of late snapshots and acknowledgements"), reminders_due, reminders_run),
    )
}


# --- the tick ----------------------------------------------------------------------------------


def _claim(*, job: str, slot: str, now: dt.datetime) -> JobRun | None:
    """Take (job, slot): a new run, or a failed or cut-short one to try again; None when it is done,
    running elsewhere or out of attempts. The unique row and a conditional UPDATE are the lock."""
    started = timezone.now()
    try:
        with transaction.atomic():
            return JobRun.objects.create(job=job, slot=slot, started_at=started)
    except IntegrityError:
        pass
    retry = Q(status=JobRun.Status.FAILED) | Q(
        status=JobRun.Status.RUNNING, started_at__lt=started - STALE_RUN
    )
    taken = (
        JobRun.objects.filter(job=job, slot=slot, attempts__lt=settings.EXCHANGE_JOB_ATTEMPTS)
        .filter(retry)
        .update(
            status=JobRun.Status.RUNNING,
            attempts=F("attempts") + 1,
            started_at=started,
            finished_at=None,
            error="",
        )
    )
    return JobRun.objects.get(job=job, slot=slot) if taken else None


def job_run(*, job: str, slot: str, now: dt.datetime | None = None) -> JobRun | None:
    """Run one job for one slot if nobody has (or a failed run may be tried again)."""
    now = now or timezone.now()
    spec = JOBS[job]
    run = _claim(job=job, slot=slot, now=now)
    if run is None:
        return None
    try:
        with transaction.atomic():
            result = spec.run(slot, now)
    except Exception as exc:  # a failed job is recorded and tried again; the tick goes on
        logger.exception("scheduled job %s %s failed", job, slot)
        run.status = JobRun.Status.FAILED
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.result = {}
    else:
        run.status = JobRun.Status.OK
        run.result = result
        run.error = ""
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "result", "error", "finished_at"])
    return run


def scheduler_tick(*, now: dt.datetime | None = None) -> list[JobRun]:
    """Run every job's due slots that have not run yet; returns the runs made now. Pending webhook
    pushes whose time has come are sent too (a push whose task was lost is not left behind)."""
    from merezha.exchange.services.webhooks import webhook_deliveries_due_send

    now = now or timezone.now()
    due = [(name, slot) for name, spec in JOBS.items() for slot in spec.due(now)]
    done = set(
        JobRun.objects.filter(
            status=JobRun.Status.OK, job__in={j for j, _ in due}, slot__in={s for _, s in due}
        ).values_list("job", "slot")
    )
    runs: list[JobRun] = []
    for name, slot in due:
        if (name, slot) in done:
            continue
        run = job_run(job=name, slot=slot, now=now)
        if run is not None:
            runs.append(run)
    webhook_deliveries_due_send(now=now)
    return runs


@task()
def scheduler_tick_task() -> list[dict[str, Any]]:
    """Run the due jobs in the task worker; returns the runs made, for the task's result. Declared
    beside the service it runs, so the worker's beat (`services.beat`) enqueues it without a cycle."""
    return [
        {"job": r.job, "slot": r.slot, "status": r.status, "result": r.result, "error": r.error}
        for r in scheduler_tick()
    ]
