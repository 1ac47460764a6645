from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from merezha.organisations.models import Organisation
from merezha.settlements.services import SettlementError, settlement_terms_set


class Command(BaseCommand):
    help = "Set a payment point's or an operator's settlement terms (gross, or net of a commission)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="the point's or operator's code")
        parser.add_argument(
            "--mode",
            choices=("gross", "net"),
            default="gross",
            help="gross: the day's total is transferred; net: less the commission (--bp)",
        )
        parser.add_argument("--bp", type=int, default=0, help="commission in basis points (net only)")
        parser.add_argument(
            "--by-agent", action="store_true", help="operator only: one order for all its points"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organisation.objects.filter(code=options["org"]).first()
        if org is None:
            raise CommandError(f"--org: no organisation {options['org']!r}")
        try:
            terms = settlement_terms_set(
                organisation=org,
                mode=options["mode"],
                commission_bp=options["bp"],
                by_agent=options["by_agent"],
            )
        except SettlementError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{org.code}: {terms.mode}, {terms.commission_bp} bp{', by agent' if terms.by_agent else ''}"
        )
