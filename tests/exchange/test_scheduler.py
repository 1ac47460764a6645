import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from merezha.core.models import InboxDocument
from merezha.exchange.models import JobRun
from merezha.exchange.services.scheduler import (
    change_reports_due,
    day_close_due,
    job_run,
    reminders_due,
    scheduler_tick,
)
from merezha.payments.models import OperationalDay
from merezha.registers.models import Register
from tests.payments.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _schedule(settings):
    settings.EXCHANGE_DAY_CLOSE_AT = "21:00"
    settings.EXCHANGE_DAY_CLOSE_CATCH_UP_DAYS = 1
    settings.EXCHANGE_CHANGE_REPORTS_DAY = 2
    settings.EXCHANGE_CHANGE_REPORTS_AT = "06:00"
    settings.EXCHANGE_REMINDERS_AT = "09:00"
    settings.EXCHANGE_SNAPSHOT_LATE_DAYS = 35
    settings.EXCHANGE_ACK_LATE_DAYS = 3


def test_due_slots_follow_the_clock():
    assert day_close_due(at("2026-11-02", 20, 59)) == ["2026-11-01"]
    assert day_close_due(at("2026-11-02", 21, 0)) == ["2026-11-01", "2026-11-02"]
    assert change_reports_due(at("2026-12-02", 5, 59)) == []
    assert change_reports_due(at("2026-12-02", 6, 0)) == ["2026-11"]
    assert change_reports_due(at("2027-01-15", 6, 0)) == ["2026-12"]
    assert reminders_due(at("2026-11-02", 8, 59)) == []
    assert reminders_due(at("2026-11-02", 9, 0)) == ["2026-11-02"]


def test_tick_past_the_cut_off_closes_the_day_and_issues_the_registers(world, pay):
    pay({"water": "100.00", "heat": "50.50"}, point=0, when=at("2026-11-02", 10))
    pay({"sewer": "20.00"}, point=1, when=at("2026-11-02", 12))
    # before the cut-off: the day stays open, no register
    scheduler_tick(now=at("2026-11-02", 20, 30))
    assert not Register.objects.exists()
    assert OperationalDay.objects.get(point=world.points[0], day=dt.date(2026, 11, 2)).status == "open"

    runs = scheduler_tick(now=at("2026-11-02", 21, 5))

    close = [r for r in runs if r.job == "day_close" and r.slot == "2026-11-02"]
    assert len(close) == 1 and close[0].status == "ok"
    assert close[0].result == {
        "day": "2026-11-02",
        "points_closed": 2,
        "registers": [
            {"provider": "heat", "number": 1, "count": 1},
            {"provider": "water", "number": 1, "count": 2},
        ],
        "lines": 3,
    }
    assert set(OperationalDay.objects.filter(day=dt.date(2026, 11, 2)).values_list("status", flat=True)) == {
        "closed"
    }
    regs = {r.provider.code: r for r in Register.objects.select_related("provider", "document")}
    assert {c: str(r.total) for c, r in regs.items()} == {"heat": "50.50", "water": "120.00"}
    assert regs["water"].document.recipient_code == "water"
    # a payment after the close goes to the next day; the next tick changes nothing
    assert scheduler_tick(now=at("2026-11-02", 21, 10)) == []
    assert Register.objects.count() == 2
    assert JobRun.objects.filter(job="day_close", slot="2026-11-02").count() == 1


def test_a_failed_run_is_recorded_and_tried_again(world, settings, monkeypatch):
    from merezha.exchange.services import scheduler

    settings.EXCHANGE_JOB_ATTEMPTS = 2
    calls = []

    def boom(slot, now):
        calls.append(slot)
        raise RuntimeError("database went away")

    monkeypatch.setitem(scheduler.JOBS, "reminders", scheduler.Job("reminders", "r", reminders_due, boom))
    first = job_run(job="reminders", slot="2026-11-02", now=at("2026-11-02", 10))
    assert (first.status, first.attempts, first.error) == ("failed", 1, "RuntimeError: database went away")
    second = job_run(job="reminders", slot="2026-11-02", now=at("2026-11-02", 10))
    assert (second.status, second.attempts) == ("failed", 2)
    assert job_run(job="reminders", slot="2026-11-02", now=at("2026-11-02", 10)) is None  # out of attempts
    assert calls == ["2026-11-02", "2026-11-02"]


def test_change_reports_are_issued_on_the_configured_day(world):
    from merezha.housing.models import ChangeReport

    office = world.dwelling.office
    runs = [r for r in scheduler_tick(now=at("2026-12-02", 6, 30)) if r.job == "change_reports"]
    assert [(r.slot, r.status) for r in runs] == [("2026-11", "ok")]
    reports = ChangeReport.objects.filter(office=office, month=dt.date(2026, 11, 1))
    assert sorted(reports.values_list("provider__code", flat=True)) == ["heat", "water"]
    assert runs[0].result["reports_issued"] == 2
    again = job_run(job="change_reports", slot="2026-11", now=at("2026-12-02", 7))
    assert again is None
    assert reports.count() == 2


def test_reminders_of_late_snapshots_and_acknowledgements(world, make_org):
    from merezha.providers.models import Snapshot

    Snapshot.objects.filter(provider=world.providers["heat"]).update(applied_at=at("2026-09-20"))
    Snapshot.objects.filter(provider=world.providers["water"]).update(applied_at=at("2026-11-01"))
    make_org("provider", code="gas")  # never uploaded
    old = InboxDocument.objects.create(
        kind="register",
        sender_code="hub",
        recipient_code="water",
        title="t",
        object_type="register",
        object_id="1",
        checksum="x",
    )
    InboxDocument.objects.filter(pk=old.pk).update(created_at=at("2026-10-28"))
    run = job_run(job="reminders", slot="2026-11-02", now=at("2026-11-02", 9, 30))
    assert run.result == {"day": "2026-11-02", "snapshot_late": 2, "unacknowledged": 1}
    reminders = {
        (d.recipient_code, d.values["reason"]): d.values
        for d in InboxDocument.objects.filter(kind="reminder")
    }
    assert reminders == {
        ("gas", "snapshot_late"): {"reason": "snapshot_late", "days": 0, "last": ""},
        ("heat", "snapshot_late"): {"reason": "snapshot_late", "days": 43, "last": "2026-09-20"},
        ("water", "unacknowledged"): {"reason": "unacknowledged", "count": 1, "days": 3},
    }
    titles = {d.recipient_code: d.title for d in InboxDocument.objects.filter(kind="reminder")}
    assert titles["heat"] == "Reminder: the last snapshot was applied 43 days ago (on 20.09.2026)"
    assert titles["water"] == "Reminder: 1 document not acknowledged for more than 3 days"


def test_scheduler_command_ticks_and_shows_the_last_runs(world, pay, capsys):
    pay({"water": "10.00"}, when=at("2026-11-02", 10))
    call_command("scheduler", "--tick", "--now", "2026-11-02T21:30")
    out = capsys.readouterr().out
    assert "day_close 2026-11-02: ok" in out
    call_command("scheduler", "--now", "2026-11-02T21:31")
    out = capsys.readouterr().out
    assert "day_close        next -            last 2026-11-02 ok" in out


def test_the_worker_runs_a_queued_tick(world, pay, settings, monkeypatch):
    """`merezha worker` is the database worker: the tick the beat queues runs there, and closes the day."""
    from django_tasks_db.models import DBTaskResult

    from merezha.exchange.services.beat import scheduler_tick_enqueue

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EXCHANGE_DAY_CLOSE_AT = "00:00"  # every day's cut-off has passed
    settings.EXCHANGE_DAY_CLOSE_CATCH_UP_DAYS = 0
    settings.EXCHANGE_SCHEDULER = False  # no beat thread in the test: the tick is queued by hand
    # the worker closes a connection that is inside a transaction: here, the test's own
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    pay({"water": "10.00"}, when=timezone.now())
    assert scheduler_tick_enqueue() is True
    assert scheduler_tick_enqueue() is False  # one waiting tick is enough
    call_command("worker", "--batch", "--no-startup-delay", "--interval", "0")
    result = DBTaskResult.objects.get(task_path="merezha.exchange.services.scheduler.scheduler_tick_task")
    assert result.status == "SUCCESSFUL"
    today = timezone.localdate().isoformat()
    assert JobRun.objects.get(job="day_close", slot=today).result["lines"] == 1
    assert Register.objects.filter(provider__code="water", operational_day=timezone.localdate()).count() == 1
