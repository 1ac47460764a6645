"""Background tasks of the providers app (django-tasks, database backend).

The task is defined with the service it runs (`services.import_runs`), which the upload service
enqueues; this module names it where django-tasks' earlier results look for it.
"""

from __future__ import annotations

from merezha.providers.services.import_runs import snapshot_import_task

__all__ = ["snapshot_import_task"]
