from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from merezha.core.commands import fail_report, write_report
from merezha.core.hooks import imports_applied
from merezha.core.imports import ImportRejected
from merezha.registry.services import streets_import


class Command(BaseCommand):
    help = "Apply the street directory (exchange-v1 §0): type, name, former_names."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the street directory file (CSV, XLSX, DBF or JSON)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = streets_import(options["file"])
        except ImportRejected as exc:
            raise fail_report(self, exc.report) from None
        imports_applied(report=report)
        write_report(self, report)
