"""Background tasks of the portal (django-tasks, database backend), declared beside the services
they run; this module names them in one place."""

from __future__ import annotations

from merezha.portal.services import bill_batch_task

__all__ = ["bill_batch_task"]
