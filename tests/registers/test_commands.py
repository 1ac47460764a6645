"""The command line of the money loop: simulate, close-day, export-register."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from merezha.payments.models import Payment
from merezha.registers.models import Register

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_simulate_needs_accounts(db):
    with pytest.raises(CommandError, match="no provider accounts to pay: import a provider snapshot first"):
        run("simulate", "--date", "2026-11-02", "--payments", "5")
    with pytest.raises(CommandError, match="--date: not a date"):
        run("simulate", "--date", "2026-13-45", "--payments", "5")


def test_simulate_registers_default_points_when_there_are_none(world, tmp_path):
    # the world has points with cashiers: use a fresh world without them
    from merezha.organisations.models import Organisation, User

    User.objects.filter(role="cashier").update(is_active=False)
    out = run("simulate", "--date", "2026-11-02", "--payments", "20", "--seed", "7")
    assert "registered the default set PP-01…PP-10" in out
    assert "simulated 2026-11-02: payments 20" in out
    assert Organisation.objects.filter(kind="payment_point", code__startswith="PP-").count() == 10
    assert set(Payment.objects.values_list("operational_day", flat=True)) == {
        __import__("datetime").date(2026, 11, 2)
    }


def test_simulate_is_deterministic_and_idempotent(world):
    run("simulate", "--date", "2026-11-02", "--payments", "12", "--seed", "3")
    first = sorted(
        (p.point.code, p.receipt, str(p.total), p.method) for p in Payment.objects.select_related("point")
    )
    assert len(first) == 12
    out = run("simulate", "--date", "2026-11-02", "--payments", "12", "--seed", "3")
    assert "payments 0 " in out and "already taken 12" in out
    assert (
        sorted(
            (p.point.code, p.receipt, str(p.total), p.method) for p in Payment.objects.select_related("point")
        )
        == first
    )


def test_close_day_and_export(world, pay, tmp_path):
    from tests.payments.conftest import at

    pay({"water": "10.00", "heat": "4.00"}, when=at("2026-11-02", 9))
    pay({"sewer": "1.50"}, point=1, when=at("2026-11-02", 9))
    out = run("close-day", "--date", "2026-11-02")
    assert "register heat #1: 1 lines, total 4.00, 1 point(s)" in out
    assert "register water #1: 2 lines, total 11.50, 2 point(s)" in out
    assert "points closed now 2, registers issued 2, lines 3" in out
    out = run("close-day", "--date", "2026-11-02")
    assert "points closed now 0, registers issued 0, lines 0" in out
    assert Register.objects.count() == 2
    target = tmp_path / "w.json"
    out = run(
        "export-register",
        "--provider",
        "water",
        "--date",
        "2026-11-02",
        "--format",
        "json",
        "-o",
        str(target),
    )
    assert "register water #1 of 2026-11-02, 2 lines, total 11.50" in out
    assert json.loads(target.read_text())["total"] == "11.50"
    with pytest.raises(
        CommandError, match=r"^--provider: unknown provider 'gas': known codes are heat, water "
    ):
        run("export-register", "--provider", "gas", "--date", "2026-11-02", "--format", "csv", "-o", "x")
    with pytest.raises(CommandError, match="no register of provider heat for 2026-11-03"):
        run(
            "export-register",
            "--provider",
            "heat",
            "--date",
            "2026-11-03",
            "--format",
            "csv",
            "-o",
            str(tmp_path / "x"),
        )
    with pytest.raises(CommandError, match="with number 5"):
        run(
            "export-register",
            "--provider",
            "water",
            "--date",
            "2026-11-02",
            "--format",
            "csv",
            "-o",
            str(tmp_path / "x"),
            "--number",
            "5",
        )
    with pytest.raises(CommandError, match="No such file or directory"):
        run(
            "export-register",
            "--provider",
            "water",
            "--date",
            "2026-11-02",
            "--format",
            "csv",
            "-o",
            str(tmp_path / "no" / "x"),
        )
