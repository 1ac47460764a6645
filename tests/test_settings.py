"""Settings read from the environment (each case in a fresh interpreter: settings are read once)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

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
