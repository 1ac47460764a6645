"""Logging helpers: a refused request is one line in the log, not a traceback."""

from __future__ import annotations

import logging


class RefusalsOneLine(logging.Filter):
    """On `django.request`: a 403 (PermissionDenied) or 404 is the route refusing a caller, which is
    expected; log it as its one line ("Forbidden (Permission denied): /path") without the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in (403, 404):
            record.exc_info = None
            record.exc_text = None
        return True
