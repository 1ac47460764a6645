from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from merezha.core.identifiers import parse_date
from merezha.settlements.files import orders_csv_write, pain001_write
from merezha.settlements.selectors import order_rows, settlement_orders
from merezha.settlements.services import banking_days_after, settlement_orders_issue


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
        rows = order_rows(orders=orders)
        if out.endswith(".csv"):
            orders_csv_write(out, orders=rows)
        elif out.endswith(".xml"):
            with open(out, "wb") as fh:
                pain001_write(
                    fh,
                    message_id=f"MRZ-{day:%Y%m%d}-all",
                    orders=rows,
                    created=timezone.now(),
                    execution=banking_days_after(day, 1),
                )
        else:
            raise CommandError("--out must end in .xml (pain.001) or .csv")
        self.stdout.write(f"wrote {len(rows)} order(s) to {out}")
