import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from merezha.core.commands import command_started, fail_report, import_finish
from merezha.core.imports import ImportRejected, ImportReport
from merezha.core.roles import OrgKind
from merezha.organisations.selectors import UnknownOrganisation, organisation_require
from merezha.registry.services import registry_import


class Command(BaseCommand):
    help = "Apply a housing office register (exchange-v1 §1) in CSV, XLSX, DBF or JSON."
    #: an import checks its file, not the project: `merezha check` does that
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--office", required=True, help="a registered housing office's code (`merezha org add`)"
        )
        parser.add_argument(
            "--accept-partial", action="store_true", help="apply the valid dwellings, report the rest"
        )
        parser.add_argument("file", help="the file to apply (CSV, XLSX, DBF or JSON)")

    def handle(self, *args: Any, **options: Any) -> None:
        started = command_started()
        refused: ImportReport | None = None
        try:
            office = organisation_require(code=options["office"], kind=OrgKind.HOUSING_OFFICE)
        except UnknownOrganisation as exc:
            raise CommandError(f"--office: {exc}") from None
        with transaction.atomic():
            try:
                import_started = time.monotonic()
                report = registry_import(
                    options["file"], office=office, accept_partial=options["accept_partial"]
                )
            except ImportRejected as exc:
                refused = exc.report
                transaction.set_rollback(True)
        if refused is not None:
            raise fail_report(self, refused)
        import_finish(self, report, started=started, import_started=import_started)
