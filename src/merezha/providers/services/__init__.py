"""Writes of the providers app: snapshot imports (file, command line, web and API uploads)."""

from merezha.providers.services.snapshot_import import SNAPSHOT_DBF_FIELDS, snapshot_import
from merezha.providers.services.uploads import (
    UploadConflict,
    snapshot_import_run,
    snapshot_upload,
)

__all__ = [
    "SNAPSHOT_DBF_FIELDS",
    "UploadConflict",
    "snapshot_import",
    "snapshot_import_run",
    "snapshot_upload",
]
