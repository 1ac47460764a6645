from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from merezha.core.commands import command_started, fail_report, import_finish
from merezha.core.identifiers import parse_date, parse_period
from merezha.core.imports import ImportRejected
from merezha.core.roles import OrgKind
from merezha.organisations.selectors import UnknownOrganisation, organisation_require
from merezha.providers.services import snapshot_import


class Command(BaseCommand):
    help = (
        "Apply a provider snapshot (exchange-v1 §2) in CSV, XLSX, DBF or JSON as the provider's "
        "complete state. A JSON file may carry its own provider, period and payments_through."
    )
    #: an import checks its file, not the project: `merezha check` does that (it cost a second here)
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--provider", required=True, help="a registered provider's code (`merezha org add`)"
        )
        parser.add_argument("--period", help="YYYY-MM (or the file's `period`)")
        parser.add_argument("--payments-through", help="YYYY-MM-DD (or the file's `payments_through`)")
        parser.add_argument(
            "--accept-partial", action="store_true", help="apply the valid rows, report the rejected ones"
        )
        parser.add_argument("file", help="the file to apply (CSV, XLSX, DBF or JSON)")

    def handle(self, *args: Any, **options: Any) -> None:
        started = command_started()
        try:
            period = parse_period(options["period"]) if options["period"] else None
            through = parse_date(options["payments_through"]) if options["payments_through"] else None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        try:
            provider = organisation_require(code=options["provider"], kind=OrgKind.PROVIDER)
        except UnknownOrganisation as exc:
            raise CommandError(f"--provider: {exc}") from None
        try:
            import_started = time.monotonic()
            report = snapshot_import(
                options["file"],
                provider=provider,
                period=period,
                payments_through=through,
                accept_partial=options["accept_partial"],
            )
        except ImportRejected as exc:
            raise fail_report(self, exc.report) from None
        import_finish(self, report, started=started, import_started=import_started)
