"""The synthetic city: deterministic, every register format applied, users for every role."""

import datetime as dt
import hashlib
import random

import pytest
from django.core.management import call_command

from merezha.core.roles import Role
from merezha.demo.seed import SCALES, build_city, seed_city, write_registry_files, write_snapshot_files
from merezha.organisations.models import User
from merezha.registry.models import Dwelling, Person, RegistryImport, Street, StreetName

pytestmark = pytest.mark.django_db


def digest(folder):
    h = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        h.update(path.name.encode())
        if path.suffix != ".xlsx":  # XLSX zips carry timestamps
            h.update(path.read_bytes())
    return h.hexdigest()


def test_tiny_city(tmp_path):
    result = seed_city(scale_name="tiny", seed=7, folder=tmp_path / "a", today=dt.date(2026, 11, 1))
    assert result.figures["dwellings"] == Dwelling.objects.count() == 400
    assert result.figures["persons"] == Person.objects.filter(is_active=True).count()
    assert Street.objects.count() == 12
    assert StreetName.objects.filter(name="Комсомольська").exists()
    assert sorted(RegistryImport.objects.values_list("file_format", flat=True)) == [
        "csv",
        "dbf",
        "json",
        "xlsx",
    ]
    assert {u.role for u in User.objects.all()} == set(Role.values)
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert (
        "streets.csv" in files
        and "snapshot-water-2026-10.csv" in files
        and "snapshot-heat-2026-09.dbf" in files
    )
    with pytest.raises(ValueError, match="already has a city"):
        seed_city(scale_name="tiny", seed=7, folder=tmp_path / "b")


def test_files_deterministic_for_a_seed(tmp_path):
    today = dt.date(2026, 11, 1)
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        city = build_city(SCALES["tiny"], 3, folder, today)
        rng = random.Random(3)
        write_registry_files(city, rng, today)
        write_snapshot_files(city, rng, [dt.date(2026, 9, 1), dt.date(2026, 10, 1)])
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


def test_demo_command_prints_users(tmp_path, settings, capsys):
    settings.HOME = tmp_path
    call_command("demo", "--no-serve", "--scale", "tiny")
    out = capsys.readouterr().out
    for username in ("admin", "cashier001", "zhek01", "water", "subsidy", "manager"):
        assert username in out
    assert "password for all: merezha" in out


def test_demo_serves_with_a_task_worker_beside_it_and_stops_it(tmp_path, settings, monkeypatch, capsys):
    import signal
    import subprocess
    import sys

    from merezha.demo.management.commands import demo

    settings.HOME = tmp_path
    started: list[list[str]] = []
    events: list[str] = []

    class Worker:
        pid = 4242

        def __init__(self, args, **kwargs):
            started.append(args)

        def terminate(self):
            events.append("terminate")

        def wait(self, timeout):
            events.append(f"wait {timeout}")
            raise subprocess.TimeoutExpired("db_worker", timeout)

        def kill(self):
            events.append("kill")

    real_call_command = demo.call_command

    def fake_call_command(name, *args, **kwargs):
        if name == "runserver":
            events.append(f"runserver {args[0]}")
            raise KeyboardInterrupt  # the operator stops the demo
        return real_call_command(name, *args, **kwargs)

    monkeypatch.setattr(demo.subprocess, "Popen", Worker)
    monkeypatch.setattr(demo.signal, "signal", lambda signum, handler: events.append(f"signal {signum}"))
    monkeypatch.setattr(demo, "call_command", fake_call_command)
    with pytest.raises(KeyboardInterrupt):
        call_command("demo", "--scale", "tiny", "--addrport", "127.0.0.1:8111")
    assert started == [[sys.executable, "-m", "merezha.cli", "worker", "--no-reload", "--interval", "1"]]
    assert events == [f"signal {signal.SIGTERM}", "runserver 127.0.0.1:8111", "terminate", "wait 10", "kill"]
    assert "background task worker with the scheduler: pid 4242" in capsys.readouterr().out
