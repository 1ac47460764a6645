"""The WSGI application: the JSON API (/api/…) through a handler with settings.API_MIDDLEWARE, the
rest of the site through Django's usual handler with settings.MIDDLEWARE."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merezha.settings")

API_PREFIX = "/api/"


class ApiHandler(WSGIHandler):
    """Django's WSGI handler with the API's middleware instead of the site's."""

    def load_middleware(self, is_async: bool = False) -> None:
        site = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.API_MIDDLEWARE  # read by Django's loader only, once
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = site


site_application = get_wsgi_application()
api_application = ApiHandler()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO", "").startswith(API_PREFIX):
        return api_application(environ, start_response)
    return site_application(environ, start_response)
