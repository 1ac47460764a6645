import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from merezha.demo.seed import DEMO_PASSWORD, SCALES, seed_city
from merezha.organisations.models import User
from merezha.registry.models import Street

#: The demo's background task worker (one process, picking up uploads within a second), with the
#: exchange's scheduler: it closes the day at the cut-off and issues the registers by itself.
WORKER_COMMAND = [sys.executable, "-m", "merezha.cli", "worker", "--no-reload", "--interval", "1"]


def _stop(signum: int, frame: Any) -> None:
    raise SystemExit(0)


class Command(BaseCommand):
    help = (
        "Migrate the embedded database, seed the demo city (once), print the demo users, serve on "
        "127.0.0.1:8000 with a background task worker beside the server."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--addrport",
            default="127.0.0.1:8000",
            help="address and port to serve on (default 127.0.0.1:8000)",
        )
        parser.add_argument(
            "--no-serve", action="store_true", help="prepare and print the users, do not serve"
        )
        parser.add_argument(
            "--scale",
            choices=sorted(SCALES),
            default="demo",
            help="city size seeded on first start (default demo)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if not Street.objects.exists():
            self.stdout.write("seeding the demo city (first start only)…")
            seed_city(scale_name=options["scale"], seed=1, progress=lambda m: self.stdout.write(f"  {m}"))
        self.stdout.write("")
        self.stdout.write(f"Demo users (password for all: {DEMO_PASSWORD}):")
        shown: set[str] = set()
        for user in User.objects.select_related("organisation").exclude(role="").order_by("role", "username"):
            if user.role == "cashier" and "cashier" in shown:
                continue
            shown.add(user.role)
            admin = "  [organisation administrator]" if user.is_org_admin else ""
            self.stdout.write(
                f"  {user.username:<12} {user.get_role_display():<34} {user.organisation}{admin}"
            )
        self.stdout.write("  (and cashier002… — one cashier per payment point)")
        self.stdout.write(
            "An organisation administrator manages its organisation's users' API tokens at /organisation/users/."
        )
        if options["no_serve"]:
            return
        # uploads are imported by background tasks (django-tasks' database backend): without a
        # worker, a provider's upload in the demo would wait for ever
        log = open(settings.HOME / "worker.log", "ab")  # noqa: SIM115 (closed below)
        worker = subprocess.Popen(WORKER_COMMAND, stdout=log, stderr=subprocess.STDOUT)
        # `kill` (SIGTERM) stops the demo like Ctrl+C does, through the `finally` below
        signal.signal(signal.SIGTERM, _stop)
        self.stdout.write(
            f"background task worker with the scheduler: pid {worker.pid}, log {settings.HOME / 'worker.log'} "
            f"(day close at {settings.EXCHANGE_DAY_CLOSE_AT}; merezha scheduler shows the runs)"
        )
        self.stdout.write(f"\nMerezha is at http://{options['addrport']}/  (Ctrl+C to stop)")
        try:
            call_command(
                "runserver", options["addrport"], use_reloader=False, insecure_serving=not settings.DEBUG
            )
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
            log.close()
