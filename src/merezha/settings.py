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
  DB_SERVER_SIDE_BINDING  "1": server-side parameter binding and prepared statements (PostgreSQL;
                    see the end of this file)
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
    "merezha.desk",
    "merezha.exchange",
    "merezha.audit",
    "merezha.portal",
    "merezha.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "merezha.core.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "merezha.core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "merezha.uploads.UploadLimitMiddleware",  # before CSRF, which would read the whole body
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

#: The JSON API's middleware (/api/…; merezha.wsgi serves it through its own handler): a bearer-token
#: API needs no sessions, CSRF tokens or messages (≈ 0.3 ms of every request).
API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "merezha.core.middleware.RefuseNulMiddleware",
    "merezha.core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "merezha.core.middleware.ApiUserMiddleware",
    "merezha.uploads.UploadLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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

# --- HTTP and security limits (issue #20; docs/reference/security.md) ---
#: The largest `offset` of a paged API list (merezha.api_params.Offset); beyond it 422.
API_MAX_OFFSET = int(os.environ.get("API_MAX_OFFSET", "10000000"))
#: An Idempotency-Key is 1 to this many printable ASCII characters (at most 128, the column's width).
IDEMPOTENCY_KEY_MAX_LENGTH = int(os.environ.get("IDEMPOTENCY_KEY_MAX_LENGTH", "128"))
#: Reverse proxies in front of the app servers that append to X-Forwarded-For (0: none, the client
#: is REMOTE_ADDR). The address the throttles count by (merezha.api_auth.client_address, django-axes).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
#: Refused bearer tokens per client address within API_TOKEN_FAILURE_WINDOW seconds before every
#: bearer request from it answers 429 (with Retry-After) until the window ends.
API_TOKEN_FAILURE_LIMIT = int(os.environ.get("API_TOKEN_FAILURE_LIMIT", "20"))
API_TOKEN_FAILURE_WINDOW = int(os.environ.get("API_TOKEN_FAILURE_WINDOW", "300"))
#: The cache the throttles count in: per process by default; CACHE_BACKEND=database shares it between
#: processes and servers (run `merezha createcachetable` once).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "merezha"}
    if os.environ.get("CACHE_BACKEND", "locmem") == "locmem"
    else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "merezha_cache"}
}

# Login attempts (django-axes): a user name, or a client address, with LOGIN_FAILURE_LIMIT wrong
# passwords is locked out for LOGIN_COOLOFF_MINUTES; a right password is refused meanwhile (429).
INSTALLED_APPS.append("axes")
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own: per user and per address
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if TRUSTED_PROXY_COUNT else ["REMOTE_ADDR"]
)

# HTTPS (docs/how-to/deploy.md): HTTPS=1 when the site is served over TLS (directly or by a reverse
# proxy that sets X-Forwarded-Proto): redirect plain HTTP, Secure cookies, HSTS.
HTTPS = os.environ.get("HTTPS", "0") == "1"
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("HSTS_INCLUDE_SUBDOMAINS", "1") == "1"
    SECURE_HSTS_PRELOAD = os.environ.get("HSTS_PRELOAD", "1") == "1"
    if TRUSTED_PROXY_COUNT:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp) on every page: scripts, styles, images and fonts from the
# site itself only; no inline scripts (pages keep their CSS in <style>, hence 'unsafe-inline' for
# styles alone); no plugins, no framing, forms post to the site. CSP=0 turns it off.
if os.environ.get("CSP", "1") == "1":
    INSTALLED_APPS.append("csp")
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware"
    )
    CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {
            "default-src": ["'self'"],
            "script-src": ["'self'"],
            "style-src": ["'self'", "'unsafe-inline'"],
            "img-src": ["'self'", "data:"],
            "font-src": ["'self'"],
            "connect-src": ["'self'"],
            "object-src": ["'none'"],
            "base-uri": ["'self'"],
            "form-action": ["'self'"],
            "frame-ancestors": ["'none'"],
        }
    }

# Plausible dates (merezha.core.dates): operational days, certificates' "as of" dates and subsidy
# decisions' periods are accepted from PLAUSIBLE_DAYS_BACK days before today to
# PLAUSIBLE_DAYS_FORWARD days after it.
PLAUSIBLE_DAYS_BACK = int(os.environ.get("PLAUSIBLE_DAYS_BACK", str(3 * 366)))
PLAUSIBLE_DAYS_FORWARD = int(os.environ.get("PLAUSIBLE_DAYS_FORWARD", "366"))


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

# --- Database: server-side parameter binding and prepared statements (PostgreSQL) ---
#: DB_SERVER_SIDE_BINDING="1": psycopg sends the parameters apart from the statement (Django's
#: OPTIONS["server_side_binding"]) and prepares a statement the fifth time a connection runs it
#: (psycopg's prepare_threshold), sparing PostgreSQL its planning after that. Only with persistent
#: connections (DB_CONN_MAX_AGE) does it pay; never behind a pooler in transaction mode that cannot
#: keep prepared statements. Default "0": Django's client-side binding.
DB_SERVER_SIDE_BINDING = os.environ.get("DB_SERVER_SIDE_BINDING", "0") == "1"
if DB_SERVER_SIDE_BINDING and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
# --- Settlement orders and bank statements (merezha.settlements, issue #19) ---
INSTALLED_APPS += ["merezha.settlements"]
#: Called inside the day close's transaction with registers= and day= (core.hooks.registers_issued).
MEREZHA_AFTER_REGISTERS = ["merezha.settlements.services.settlement_orders_after_registers"]
#: An order with no credit this many banking days (Mon–Fri) after its operational day is missing.
SETTLEMENT_MISSING_AFTER_DAYS = int(os.environ.get("SETTLEMENT_MISSING_AFTER_DAYS", "2"))
#: Credits are matched to orders of operational days at most this many days before their value date.
SETTLEMENT_MATCH_WINDOW_DAYS = int(os.environ.get("SETTLEMENT_MATCH_WINDOW_DAYS", "60"))
# --- Limits on uploaded files and imports that always end (issue #20; docs/reference/limits.md) ---
_MIB = 1 << 20
#: The largest upload of each kind, in bytes: beyond it the API answers 413 and a page its form's error.
UPLOAD_MAX_BYTES = {
    "snapshot": int(os.environ.get("UPLOAD_MAX_SNAPSHOT_MB", "256")) * _MIB,
    "registry": int(os.environ.get("UPLOAD_MAX_REGISTRY_MB", "128")) * _MIB,
    "decisions": int(os.environ.get("UPLOAD_MAX_DECISIONS_MB", "32")) * _MIB,
    "batch_check": int(os.environ.get("UPLOAD_MAX_BATCH_CHECK_MB", "32")) * _MIB,
    "streets": int(os.environ.get("UPLOAD_MAX_STREETS_MB", "16")) * _MIB,
}
#: What a file may hold, checked while it streams: names and defaults of formats.limits.Limits.
FILE_LIMITS: dict[str, int] = {}
#: The most rows of a kind that holds all of its rows in memory (FILE_LIMITS["rows"] for the others).
UPLOAD_MAX_ROWS = {
    "batch_check": int(os.environ.get("UPLOAD_MAX_BATCH_CHECK_ROWS", "100000")),
    "decisions": int(os.environ.get("UPLOAD_MAX_DECISIONS_ROWS", "100000")),
}
#: Rejected rows an import's report keeps (with the count of all of them).
IMPORT_REPORT_MAX_ERRORS = int(os.environ.get("IMPORT_REPORT_MAX_ERRORS", "1000"))
#: Seconds without a heartbeat after which a background import's lease is taken for dead.
IMPORT_LEASE_SECONDS = int(os.environ.get("IMPORT_LEASE_SECONDS", "60"))
#: Seconds between the worker's looks for imports whose worker stopped.
IMPORT_RECOVERY_SECONDS = int(os.environ.get("IMPORT_RECOVERY_SECONDS", "30"))
#: Runs of one upload's import, first included; after the last, a stopped worker fails the upload.
IMPORT_MAX_ATTEMPTS = int(os.environ.get("IMPORT_MAX_ATTEMPTS", "2"))
#: Run by the worker at start and every IMPORT_RECOVERY_SECONDS, and by `merezha imports-recover`.
MEREZHA_RECOVERY = ["merezha.providers.services.import_runs.snapshot_imports_recover"]

# --- the resident portal and the unified bill (portal app) ---
#: NBU payment QR format on bills: "002" (https://bank.gov.ua/qr/…) or "003" (https://qr.bank.gov.ua/…)
PORTAL_NBU_QR_FORMAT = os.environ.get("PORTAL_NBU_QR_FORMAT", "002")
#: bill layout: "a4x2" (two bills on an A4 page) or "a5" (one bill on an A5 page)
PORTAL_BILL_LAYOUT = os.environ.get("PORTAL_BILL_LAYOUT", "a4x2")
#: bills rendered at once by a batch (memory is bounded by this; parts are joined with pdfunite)
PORTAL_BILL_CHUNK = int(os.environ.get("PORTAL_BILL_CHUNK", "200"))
#: processes that render a batch's bills (rendering is CPU-bound; 1 renders in the task itself)
PORTAL_BILL_WORKERS = int(os.environ.get("PORTAL_BILL_WORKERS", "2"))
#: the address printed on the bill for the resident's pages
PORTAL_URL = os.environ.get("PORTAL_URL", "/resident/")
#: wrong sign-ins (per account number, and per client address) within the window that lock the form
PORTAL_MAX_FAILURES = int(os.environ.get("PORTAL_MAX_FAILURES", "10"))
PORTAL_LOCKOUT_MINUTES = int(os.environ.get("PORTAL_LOCKOUT_MINUTES", "60"))
#: how far back "who looked at my data" reads the audit log, in days
PORTAL_AUDIT_DAYS = int(os.environ.get("PORTAL_AUDIT_DAYS", "365"))

# --- Refusals in the log (h11-messages; merezha.core.logging) ---
#: a refused request (403/404) is logged in one line, without the PermissionDenied traceback; the
#: `django` loggers write to the console once (not again through the root logger)
LOGGING["filters"] = {"refusals_one_line": {"()": "merezha.core.logging.RefusalsOneLine"}}
LOGGING["loggers"] = {
    "django": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING"), "propagate": False},
    "django.request": {"filters": ["refusals_one_line"]},
}
# --- figures on pages: dates, counts, areas (h12-figures) --------------------------------------
#: Ukrainian date and number formats (`07.12.2026`, `1 234,56`) override Django's own for `uk`.
FORMAT_MODULE_PATH = ["merezha.locale_formats"]
#: `money`, `uah`, `date_ua`, `datetime_ua`, `area`, `count` and `money_input` in every template, without `{% load %}`.
TEMPLATES[0]["OPTIONS"]["builtins"] = ["merezha.core.templatetags.figures"]  # type: ignore[index]
