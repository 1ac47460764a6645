"""Settings read from the environment (each case in a fresh interpreter: settings are read once), and
the production settings: `merezha check --deploy` with the environment of docs/how-to/deploy.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.servers import server_env

PG = "postgres://postgres@127.0.0.1:5432/merezha"


def _database_options(**env: str) -> dict:
    code = (
        "import json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'merezha.settings'\n"
        "from django.conf import settings\n"
        "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DB_SERVER_SIDE_BINDING")}
    out = subprocess.run(
        [sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DATABASE_URL": PG}, {}),
        ({"DATABASE_URL": PG, "DB_SERVER_SIDE_BINDING": "0"}, {}),
        (
            {"DATABASE_URL": PG, "DB_SERVER_SIDE_BINDING": "1"},
            {"server_side_binding": True, "prepare_threshold": 5},
        ),
    ],
)
def test_server_side_binding_is_django_s_own_database_option(env, expected):
    assert _database_options(**env) == expected


def test_server_side_binding_is_postgresql_s(tmp_path):
    options = _database_options(
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}", DB_SERVER_SIDE_BINDING="1"
    )
    assert "server_side_binding" not in options and options["transaction_mode"] == "IMMEDIATE"


PRODUCTION = {
    "SECRET_KEY": "k7Qw9zR2xL5vN8bT3mH6jF1dS4gA0pY7uE2iO9cV5nB8xZ3qW6r",
    "ALLOWED_HOSTS": "merezha.example.ua",
    "HTTPS": "1",
}


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in env.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the browser tests' own
    return subprocess.run(
        [sys.executable, "-m", "merezha.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
    )


def test_check_deploy_prints_no_warning_in_production(tmp_path):
    done = check_deploy(server_env(tmp_path, **PRODUCTION))
    assert (done.returncode, done.stdout.strip(), done.stderr) == (
        0,
        "System check identified no issues (0 silenced).",
        "",
    )


def test_without_https_check_deploy_names_what_is_missing(tmp_path):
    done = check_deploy(server_env(tmp_path, **(PRODUCTION | {"HTTPS": "0"})))
    assert done.returncode == 1
    found = sorted(set(part.split(")")[0] for part in done.stderr.split("(security.")[1:]))
    assert found == ["W004", "W008", "W012", "W016"]
