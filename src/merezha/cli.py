"""The `merezha` command: Django's management commands under the project's settings."""

import os
import sys
import time

#: when this `merezha` process began its command (monotonic clock); None when Django runs a command
#: some other way (`call_command` in tests, `django-admin`)
STARTED: float | None = None


def main() -> None:
    global STARTED
    STARTED = time.monotonic()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merezha.settings")
    from django.conf import settings
    from django.core.management import execute_from_command_line

    settings.HOME.mkdir(parents=True, exist_ok=True)
    execute_from_command_line(["merezha", *sys.argv[1:]])


if __name__ == "__main__":
    main()
