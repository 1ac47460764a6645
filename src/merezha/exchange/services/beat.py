"""The beat of the worker's scheduler: queue one tick task unless one is already waiting."""

from __future__ import annotations

from django_tasks_db.models import DBTaskResult

from merezha.exchange.services.scheduler import scheduler_tick_task


def scheduler_tick_enqueue() -> bool:
    """Queue `scheduler_tick_task` unless one is queued and not yet run; True when queued now.

    Several workers may beat at once: at worst two ticks are queued, and the second finds every due
    slot claimed (JobRun is unique per job and slot)."""
    path = scheduler_tick_task.module_path
    if DBTaskResult.objects.ready().filter(task_path=path).exists():
        return False
    scheduler_tick_task.enqueue()
    return True
