from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from merezha.core.identifiers import parse_date
from merezha.payments.simulation import SimulationError, payments_simulate


class Command(BaseCommand):
    help = "Take N realistic payments on one operational day through the desk's payment service."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", required=True, help="operational day, YYYY-MM-DD")
        parser.add_argument("--payments", required=True, type=int, help="how many payments")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = parse_date(options["date"])
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from None
        try:
            result = payments_simulate(day=day, count=options["payments"], seed=options["seed"])
        except SimulationError as exc:
            raise CommandError(str(exc)) from None
        for note in result.notes:
            self.stdout.write(note)
        rate = result.created / result.elapsed if result.elapsed else 0.0
        self.stdout.write(
            f"simulated {day.isoformat()}: payments {result.created} ({result.lines} lines) at {result.points} points, "
            f"total {result.total}; on a later day (closed) {result.later_day}; already taken {result.already_taken}, refused {result.refused}; "
            f"elapsed {result.elapsed:.2f} s ({rate:.0f} payments/s)"
        )
