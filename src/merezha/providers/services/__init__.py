"""Writes of the providers app: snapshot imports (file, command line, web and API uploads)."""

from merezha.providers.services.import_runs import snapshot_import_run, snapshot_imports_recover
from merezha.providers.services.snapshot_import import SNAPSHOT_DBF_FIELDS, snapshot_import
from merezha.providers.services.uploads import UploadConflict, snapshot_upload

__all__ = [
    "SNAPSHOT_DBF_FIELDS",
    "UploadConflict",
    "snapshot_import",
    "snapshot_import_run",
    "snapshot_imports_recover",
    "snapshot_upload",
]
