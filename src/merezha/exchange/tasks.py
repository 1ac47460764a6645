"""Background tasks of the exchange (django-tasks, database backend): the scheduler's tick and the
webhook pushes. `merezha worker` runs them, and enqueues the tick every EXCHANGE_TICK_SECONDS."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from merezha.exchange.services.scheduler import scheduler_tick
from merezha.exchange.services.webhooks import webhook_attempt


@task()
def scheduler_tick_task() -> list[dict[str, Any]]:
    """Run the due jobs (exchange.services.scheduler); returns the runs made, for the task's result."""
    return [
        {"job": r.job, "slot": r.slot, "status": r.status, "result": r.result, "error": r.error}
        for r in scheduler_tick()
    ]


@task()
def webhook_deliver_task(delivery_id: int) -> str:
    """One try of one webhook push; a failed try enqueues the next one with its back-off."""
    delivery = webhook_attempt(delivery_id=delivery_id)
    return delivery.status if delivery is not None else "not taken"
