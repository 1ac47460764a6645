"""Settings of the app servers in bench.payments_http (its servers get DJANGO_SETTINGS_MODULE set to
this module): the project's, with persistent database connections (CONN_MAX_AGE), as a production
deployment runs them (or behind a connection pooler)."""

from merezha.settings import *  # noqa: F403
from merezha.settings import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 300
