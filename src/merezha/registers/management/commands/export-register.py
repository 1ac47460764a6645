from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from merezha.core.identifiers import parse_date
from merezha.core.money import Money
from merezha.core.roles import OrgKind
from merezha.organisations.selectors import UnknownOrganisation, organisation_require
from merezha.registers.files import FORMATS, RegisterFileError, register_file_write
from merezha.registers.selectors import registers_of_day


class Command(BaseCommand):
    help = (
        "Write a provider's register of one operational day to a file. When the provider has several "
        "registers that day (points closed at different times), the file holds all of them, renumbered, "
        "unless --number picks one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--provider", required=True, help="provider code")
        parser.add_argument("--date", required=True, help="operational day, YYYY-MM-DD")
        parser.add_argument("--format", required=True, choices=FORMATS, help="file format")
        parser.add_argument("-o", "--output", required=True, help="file to write")
        parser.add_argument("--number", type=int, help="only the register with this number")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = parse_date(options["date"])
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from None
        try:
            organisation_require(code=options["provider"], kind=OrgKind.PROVIDER)
        except UnknownOrganisation as exc:
            raise CommandError(f"--provider: {exc}") from None
        registers = registers_of_day(provider_code=options["provider"], day=day)
        if options["number"] is not None:
            registers = [r for r in registers if r.number == options["number"]]
        if not registers:
            raise CommandError(
                f"no register of provider {options['provider']} for {day.isoformat()}"
                + (f" with number {options['number']}" if options["number"] is not None else "")
                + " (is the day closed? merezha close-day --date …)"
            )
        try:
            n = register_file_write(registers=registers, fmt=options["format"], path=options["output"])
        except (RegisterFileError, OSError) as exc:
            raise CommandError(str(exc)) from None
        numbers = ", ".join(str(r.number) for r in registers)
        self.stdout.write(
            f"{options['output']}: register {options['provider']} #{numbers} of {day.isoformat()}, "
            f"{n} lines, total {Money.total(r.total for r in registers)}"
        )
