from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from merezha.core.identifiers import parse_date
from merezha.settlements.selectors import settlement_orders, settlement_orders_file
from merezha.settlements.services import settlement_orders_issue


class Command(BaseCommand):
    help = (
        "Issue the settlement orders of a closed day's registers that have none (idempotent) and "
        "optionally write them as pain.001 XML or CSV."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", required=True, help="operational day, YYYY-MM-DD")
        parser.add_argument("--out", help="write the day's orders to this file (.xml: pain.001, .csv: CSV)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = parse_date(options["date"])
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from None
        issued = settlement_orders_issue(day=day)
        orders = settlement_orders(day=day)
        self.stdout.write(
            f"{day.isoformat()}: orders issued now {len(issued)}, orders of the day {len(orders)}"
        )
        out = options.get("out")
        if not out:
            return
        if not out.endswith((".xml", ".csv")):
            raise CommandError("--out must end in .xml (pain.001) or .csv")
        fmt = "csv" if out.endswith(".csv") else "pain001"
        n = settlement_orders_file(day=day, provider_id=None, fmt=fmt, path=out, name="all")
        self.stdout.write(f"wrote {n} order(s) to {out}")
