"""The settlement commands: terms, and orders issued again (idempotent) and written."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tests.settlements.conftest import DAY

pytestmark = pytest.mark.django_db


def test_terms_command(city):
    out = io.StringIO()
    call_command("settlement-terms", "--org", "P001", "--mode", "net", "--bp", "25", stdout=out)
    assert out.getvalue().strip() == "P001: net, 25 bp"
    with pytest.raises(CommandError, match="only an operator's terms may settle by agent"):
        call_command("settlement-terms", "--org", "P001", "--by-agent")
    with pytest.raises(CommandError, match="a commission needs mode net"):
        call_command("settlement-terms", "--org", "BANK", "--bp", "10")


def test_orders_command_is_idempotent_and_writes(city, closed_day, tmp_path):
    out = io.StringIO()
    path = tmp_path / "o.csv"
    call_command("settlement-orders", "--date", DAY.isoformat(), "--out", str(path), stdout=out)
    assert out.getvalue().splitlines() == [
        "2026-11-02: orders issued now 0, orders of the day 9",
        f"wrote 9 order(s) to {path}",
    ]
    assert len(path.read_text().splitlines()) == 10
