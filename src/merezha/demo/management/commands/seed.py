from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from merezha.demo.seed import SCALES, seed_city


class Command(BaseCommand):
    help = "Generate a deterministic synthetic city (streets, register, providers, points, users, exchange files)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale", choices=sorted(SCALES), default="demo", help="city size (default demo)"
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="random seed: the same seed gives the same city (default 1)"
        )
        parser.add_argument("--no-migrate", action="store_true", help="do not migrate the database first")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        try:
            result = seed_city(scale_name=options["scale"], seed=options["seed"], progress=self.stdout.write)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"exchange files written to {result.folder}")
        self.stdout.write(", ".join(f"{k} {v}" for k, v in result.figures.items()))
