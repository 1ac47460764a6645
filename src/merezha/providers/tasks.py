"""Background tasks of the providers app (django-tasks, database backend)."""

from __future__ import annotations

from django_tasks import task

from merezha.providers.services.uploads import snapshot_import_run


@task()
def snapshot_import_task(snapshot_id: int) -> str:
    """Import a waiting snapshot upload; returns its final status."""
    return snapshot_import_run(snapshot_id=snapshot_id)
