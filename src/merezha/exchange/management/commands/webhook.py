"""`merezha webhook`: set or switch off an organisation's webhook (the information centre's command line)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from merezha.exchange.services.webhooks import WebhookInvalid, webhook_remove, webhook_set
from merezha.organisations.models import Organisation


class Command(BaseCommand):
    help = (
        "Push an organisation's new inbox documents to a URL (HMAC-SHA256-signed POST, retried with "
        "back-off); prints the new signing secret once. --off switches it off."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="organisation code")
        parser.add_argument("--url", help="http(s) URL to POST to")
        parser.add_argument("--off", action="store_true", help="stop pushing")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organisation.objects.filter(code=options["org"]).first()
        if org is None:
            raise CommandError(f"unknown organisation {options['org']!r}")
        if options["off"]:
            changed = webhook_remove(organisation=org)
            self.stdout.write(f"{org.code}: webhook {'switched off' if changed else 'was not on'}")
            return
        if not options["url"]:
            raise CommandError("give --url URL or --off")
        try:
            hook, secret = webhook_set(organisation=org, url=options["url"])
        except WebhookInvalid as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{org.code}: {hook.url}, secret {secret} (shown once)")
