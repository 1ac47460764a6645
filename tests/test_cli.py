"""`merezha help`, the help text of every option of every project command, and refused `--scale`."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command, get_commands, load_command_class

from merezha.cli import help_text, project_commands

EXPECTED_COMMANDS = [
    "change-reports",
    "close-day",
    "demo",
    "export-register",
    "import-registry",
    "import-snapshot",
    "import-streets",
    "imports-recover",
    "org",
    "scheduler",
    "search-reindex",
    "seed",
    "settlement-orders",
    "settlement-terms",
    "simulate",
    "webhook",
    "worker",
]


def _parsers(parser: argparse.ArgumentParser, path: str) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _parsers(sub, f"{path} {name}")
    return found


def test_help_lists_the_projects_own_commands_one_line_each() -> None:
    commands = project_commands()
    assert list(commands) == EXPECTED_COMMANDS
    text = help_text()
    lines = text.splitlines()
    assert lines[:3] == ["Usage: merezha COMMAND [OPTIONS]", "", "Commands:"]
    listed = [line.split()[0] for line in lines[3 : 3 + len(EXPECTED_COMMANDS)]]
    assert listed == EXPECTED_COMMANDS
    assert re.search(r"^  close-day +Close the operational day at every open payment point", text, re.M)
    assert "migrate" not in listed and "runserver" not in listed
    assert all(commands[name] for name in EXPECTED_COMMANDS)


def test_every_option_of_every_project_command_has_help() -> None:
    missing = []
    for name, app in sorted(get_commands().items()):
        if not app.startswith("merezha."):
            continue
        parser = load_command_class(app, name).create_parser("merezha", name)
        for path, sub in _parsers(parser, name):
            for action in sub._actions:
                if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                    continue
                if not action.help or action.help == argparse.SUPPRESS:
                    missing.append(f"{path} {action.option_strings or action.dest}")
    assert missing == []


@pytest.mark.parametrize("command", ["seed", "demo"])
def test_an_unknown_scale_is_a_one_line_error(command: str) -> None:
    with pytest.raises(CommandError) as refused:
        call_command(command, "--scale", "huge")
    assert str(refused.value) == (
        "Error: argument --scale: invalid choice: 'huge' (choose from 'city', 'demo', 'tiny')"
    )


def test_the_merezha_command_prints_the_list_and_refuses_a_wrong_scale_in_one_line() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "merezha.cli", "help"], capture_output=True, text=True, check=True
    )
    assert shown.stdout.startswith("Usage: merezha COMMAND [OPTIONS]\n\nCommands:\n  change-reports ")
    refused = subprocess.run(
        [sys.executable, "-m", "merezha.cli", "seed", "--scale", "huge", "--no-migrate"],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2
    assert "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines()[-1] == (
        "merezha seed: error: argument --scale: invalid choice: 'huge' (choose from 'city', 'demo', 'tiny')"
    )


def test_the_demo_runs_with_debug_off_unless_told_otherwise(monkeypatch) -> None:
    """`merezha demo` shows the product's own Ukrainian error pages, not Django's debug pages."""
    from merezha.cli import DEMO_SECRET_KEY, demo_environment

    for name in ("DEBUG", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    demo_environment(["seed", "--scale", "tiny"])
    assert "DEBUG" not in os.environ and "SECRET_KEY" not in os.environ
    demo_environment(["demo", "--no-serve"])
    assert (os.environ["DEBUG"], os.environ["SECRET_KEY"]) == ("0", DEMO_SECRET_KEY)
    monkeypatch.setenv("DEBUG", "1")
    monkeypatch.setenv("SECRET_KEY", "given")
    demo_environment(["demo"])
    assert (os.environ["DEBUG"], os.environ["SECRET_KEY"]) == ("1", "given")
    # the settings load so: DEBUG off, the demo's key
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    code = (
        "import os; from merezha.cli import demo_environment; demo_environment(['demo']); "
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'merezha.settings'; "
        "from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY)"
    )
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert shown.stdout.split() == ["False", DEMO_SECRET_KEY]
