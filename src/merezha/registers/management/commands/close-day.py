import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from merezha.core.identifiers import parse_date
from merezha.payments.services import PaymentError
from merezha.registers.services import days_close


class Command(BaseCommand):
    help = "Close the operational day at every open payment point and issue the registers (exchange-v1 §3)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", required=True, help="operational day, YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = parse_date(options["date"])
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from None
        started = time.perf_counter()
        try:
            result = days_close(day=day)
        except PaymentError as exc:
            raise CommandError(str(exc)) from None
        for reg in result.registers:
            self.stdout.write(
                f"register {reg.provider.code} #{reg.number}: {reg.count} lines, total {reg.total}, "
                f"{len(reg.points)} point(s)"
            )
        self.stdout.write(
            f"closed {day.isoformat()}: points closed now {len(result.closed_points)}, "
            f"registers issued {len(result.registers)}, lines {sum(r.count for r in result.registers)}; "
            f"elapsed {time.perf_counter() - started:.2f} s"
        )
