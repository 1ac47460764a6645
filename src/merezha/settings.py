"""Django settings for Merezha, read from the environment.

Settings (all optional):
  DATABASE_URL      database; default: embedded SQLite at $MEREZHA_HOME/merezha.sqlite3
  MEREZHA_HOME      folder for the embedded database and generated files; default: ./var
  SECRET_KEY        required when DEBUG is off
  DEBUG             "1" to enable debug pages (default on for the embedded demo)
  ALLOWED_HOSTS     comma-separated host names
  STALE_DATA_DAYS   age after which a provider's data is flagged as stale at the desk (default 45)
  DB_CONN_MAX_AGE   seconds a database connection is kept for later requests (default 0: one per
                    request; production: 300)
  DB_PREPARED_STATEMENTS  "1" (the default when DB_CONN_MAX_AGE is not 0, on PostgreSQL): the API's
                    hot statements are prepared once per connection; "0" behind a pooler that
                    cannot keep prepared statements
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
HOME = Path(os.environ.get("MEREZHA_HOME", Path.cwd() / "var")).resolve()

DEBUG = os.environ.get("DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("SECRET_KEY", "merezha-insecure-development-key-change-me" if DEBUG else "")
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "merezha.core",
    "merezha.organisations",
    "merezha.registry",
    "merezha.providers",
    "merezha.search",
    "merezha.payments",
    "merezha.registers",
    "merezha.subsidies",
    "merezha.housing",
    "merezha.exchange",
    "merezha.audit",
    "merezha.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "merezha.core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

#: The JSON API's middleware (/api/…; merezha.wsgi serves it through its own handler): a bearer-token
#: API needs no sessions, CSRF tokens or messages (≈ 0.3 ms of every request).
API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "merezha.core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "merezha.core.middleware.ApiUserMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "merezha.api_hot.ApiHotRouteMiddleware",  # last: every other middleware wraps a hot route too
]
#: "0" turns the API's hot routes off (merezha.api_hot): every request then takes its ninja route.
API_HOT_ROUTES = os.environ.get("API_HOT_ROUTES", "1") == "1"

ROOT_URLCONF = "merezha.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WSGI_APPLICATION = "merezha.wsgi.application"

_default_sqlite = f"sqlite:///{HOME / 'merezha.sqlite3'}"
if "DATABASE_URL" not in os.environ:
    HOME.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_sqlite), conn_max_age=0)
}
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "0"))
_prepared_default = "1" if DATABASES["default"]["CONN_MAX_AGE"] != 0 else "0"
if (
    DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    and os.environ.get("DB_PREPARED_STATEMENTS", _prepared_default) == "1"
):
    # psycopg may keep prepared statements; only server-side-binding cursors use them, and only
    # merezha.core.rows.hot_cursor makes those (Django's own cursors bind on the client).
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while an import or a payment writes; IMMEDIATE avoids lock upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }

AUTH_USER_MODEL = "organisations.User"
AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "uk"
LANGUAGES = [("uk", "Українська"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Kyiv")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
if os.environ.get("MEREZHA_TASKS_IMMEDIATE", "") == "1":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

#: Run after every applied import (core.hooks.imports_applied): keeps the cashier's search index current.
MEREZHA_AFTER_IMPORT = ["merezha.search.services.search_index_after_import"]

STALE_DATA_DAYS = int(os.environ.get("STALE_DATA_DAYS", "45"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}


# --- The exchange: scheduler, webhooks, monitor (merezha.exchange; docs/reference/scheduler.md) ---
#: "0" stops the task worker's scheduler (`merezha worker` then only runs tasks)
EXCHANGE_SCHEDULER = os.environ.get("EXCHANGE_SCHEDULER", "1") == "1"
#: how often the worker's scheduler looks for due jobs, in seconds
EXCHANGE_TICK_SECONDS = int(os.environ.get("EXCHANGE_TICK_SECONDS", "60"))
#: local time (TIME_ZONE) at which every point's operational day is closed and the registers issued
EXCHANGE_DAY_CLOSE_AT = os.environ.get("EXCHANGE_DAY_CLOSE_AT", "21:00")
#: how many past days the day close catches up on when the worker was not running
EXCHANGE_DAY_CLOSE_CATCH_UP_DAYS = int(os.environ.get("EXCHANGE_DAY_CLOSE_CATCH_UP_DAYS", "3"))
#: the day of the month and local time at which the last month's change reports are issued
EXCHANGE_CHANGE_REPORTS_DAY = int(os.environ.get("EXCHANGE_CHANGE_REPORTS_DAY", "1"))
EXCHANGE_CHANGE_REPORTS_AT = os.environ.get("EXCHANGE_CHANGE_REPORTS_AT", "06:00")
#: local time of the daily reminders to organisations whose snapshot or acknowledgement is late
EXCHANGE_REMINDERS_AT = os.environ.get("EXCHANGE_REMINDERS_AT", "09:00")
#: a provider's data is late when its last applied snapshot is older than this many days
EXCHANGE_SNAPSHOT_LATE_DAYS = int(os.environ.get("EXCHANGE_SNAPSHOT_LATE_DAYS", "35"))
#: a document is late when it is not acknowledged this many days after delivery (the monitor's red)
EXCHANGE_ACK_LATE_DAYS = int(os.environ.get("EXCHANGE_ACK_LATE_DAYS", "3"))
#: how many times a failed job is tried for one slot
EXCHANGE_JOB_ATTEMPTS = int(os.environ.get("EXCHANGE_JOB_ATTEMPTS", "3"))
#: webhooks: attempts per document, the first back-off (doubling after each failure), the HTTP timeout
EXCHANGE_WEBHOOK_ATTEMPTS = int(os.environ.get("EXCHANGE_WEBHOOK_ATTEMPTS", "8"))
EXCHANGE_WEBHOOK_BACKOFF_SECONDS = int(os.environ.get("EXCHANGE_WEBHOOK_BACKOFF_SECONDS", "30"))
EXCHANGE_WEBHOOK_TIMEOUT_SECONDS = int(os.environ.get("EXCHANGE_WEBHOOK_TIMEOUT_SECONDS", "10"))
#: Run for every inbox document filed (core.hooks.documents_delivered): queues its webhook push.
MEREZHA_AFTER_DELIVERY = ["merezha.exchange.services.webhooks.webhook_after_delivery"]

# --- figures on pages: dates, counts, areas (h12-figures) --------------------------------------
#: Ukrainian date and number formats (`07.12.2026`, `1 234,56`) override Django's own for `uk`.
FORMAT_MODULE_PATH = ["merezha.locale_formats"]
#: `money`, `uah`, `date_ua`, `datetime_ua`, `area`, `count` and `money_input` in every template, without `{% load %}`.
TEMPLATES[0]["OPTIONS"]["builtins"] = ["merezha.core.templatetags.figures"]  # type: ignore[index]
