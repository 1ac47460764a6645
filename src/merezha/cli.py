"""The `merezha` command: Django's management commands under the project's settings.

`merezha`, `merezha help` and `merezha --help` list the project's own commands, one line each;
`merezha help --all` lists Django's too, and `merezha help COMMAND` shows one command's options.
"""

import os
import sys
import time

#: when this `merezha` process began its command (monotonic clock); None when Django runs a command
#: some other way (`call_command` in tests, `django-admin`)
STARTED: float | None = None

_HELP_WORDS: tuple[list[str], ...] = ([], ["help"], ["--help"], ["-h"])


def project_commands() -> dict[str, str]:
    """The project's own commands (those of `merezha.*` apps), each with the first line of its help."""
    from django.core.management import get_commands, load_command_class

    found: dict[str, str] = {}
    for name, app in sorted(get_commands().items()):
        if not app.startswith("merezha."):
            continue
        command = load_command_class(app, name)
        found[name] = " ".join(str(command.help).split())
    return found


def help_text() -> str:
    """What `merezha help` prints."""
    commands = project_commands()
    width = max(len(name) for name in commands)
    lines = ["Usage: merezha COMMAND [OPTIONS]", "", "Commands:"]
    lines += [f"  {name:<{width}}  {text}" for name, text in commands.items()]
    lines += [
        "",
        "`merezha help COMMAND` shows a command's options; `merezha help --all` lists Django's commands too.",
    ]
    return "\n".join(lines)


#: the demo's key when it runs with DEBUG off and no SECRET_KEY is given: the demo is a local
#: showcase whose users all share a published password, never a deployment
DEMO_SECRET_KEY = "merezha-demo-key-not-for-production"


def demo_environment(args: list[str]) -> None:
    """`merezha demo` shows the product as people meet it: DEBUG off unless DEBUG is set, so a
    missing page is the product's own Ukrainian 404 (not Django's debug page) and an error its 500;
    a SECRET_KEY for the demo unless one is set. The demo's server then serves the static files
    itself (`runserver --insecure`)."""
    if args[:1] == ["demo"] and "DEBUG" not in os.environ:
        os.environ["DEBUG"] = "0"
        os.environ.setdefault("SECRET_KEY", DEMO_SECRET_KEY)


def main() -> None:
    global STARTED
    STARTED = time.monotonic()
    demo_environment(sys.argv[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merezha.settings")
    import django
    from django.conf import settings
    from django.core.management import execute_from_command_line

    settings.HOME.mkdir(parents=True, exist_ok=True)
    args = sys.argv[1:]
    if args in _HELP_WORDS:
        django.setup()
        print(help_text())
        return
    if args == ["help", "--all"]:
        args = ["help"]
    execute_from_command_line(["merezha", *args])


if __name__ == "__main__":
    main()
