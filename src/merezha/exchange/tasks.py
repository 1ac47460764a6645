"""Background tasks of the exchange (django-tasks, database backend): the scheduler's tick and the
webhook pushes. `merezha worker` runs them, and enqueues the tick every EXCHANGE_TICK_SECONDS. Each
is declared beside the service it runs (services enqueue them); this module names them in one place."""

from __future__ import annotations

from merezha.exchange.services.scheduler import scheduler_tick_task
from merezha.exchange.services.webhooks import webhook_deliver_task

__all__ = ["scheduler_tick_task", "webhook_deliver_task"]
