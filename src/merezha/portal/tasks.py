"""Background tasks of the portal (django-tasks, database backend)."""

from __future__ import annotations

from django_tasks import task

from merezha.portal.services import bill_batch_run


@task()
def bill_batch_task(batch_id: int) -> str:
    """Make a queued batch of bills; returns its final status."""
    return bill_batch_run(batch_id=batch_id).status
