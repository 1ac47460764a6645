import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from merezha.core.identifiers import parse_period
from merezha.core.roles import OrgKind
from merezha.housing.services import change_report_issue
from merezha.organisations.selectors import UnknownOrganisation, organisation_list, organisation_require


class Command(BaseCommand):
    help = "Issue the monthly change reports (exchange-v1 §5) of every housing office, or of one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--office", help="one housing office code (default: every office)")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            month = parse_period(options["month"])
        except ValueError as exc:
            raise CommandError(f"--month: {exc}") from None
        if options["office"]:
            try:
                office = organisation_require(code=options["office"], kind=OrgKind.HOUSING_OFFICE)
            except UnknownOrganisation as exc:
                raise CommandError(f"--office: {exc}") from None
            offices = [office]
        else:
            offices = list(organisation_list(kind=OrgKind.HOUSING_OFFICE).filter(is_active=True))
        reports = lines = 0
        for office in offices:
            issued = change_report_issue(office=office, month=month)
            for r in issued:
                self.stdout.write(
                    f"{office.code} → {r.provider.code} {month:%Y-%m}: {r.line_count} change(s), {r.checksum[:12]}"
                )
            reports += len(issued)
            lines += sum(r.line_count for r in issued)
        self.stdout.write(
            f"offices {len(offices)}, reports {reports}, changes {lines}; elapsed {time.monotonic() - started:.2f} s"
        )
