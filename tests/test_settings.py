"""Production settings: `merezha check --deploy` with the environment of docs/how-to/deploy.md."""

from __future__ import annotations

import subprocess
import sys

from tests.servers import server_env

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
