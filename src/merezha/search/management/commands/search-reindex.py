import time
from typing import Any

from django.core.management.base import BaseCommand

from merezha.search.services import search_index_rebuild


class Command(BaseCommand):
    help = "Rebuild the cashier's search index from the register and the providers' accounts."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        counts = search_index_rebuild()
        self.stdout.write(
            f"search index rebuilt: {counts['entries']} entries, {counts['streets']} street names, "
            f"{counts['terms']} words; {time.monotonic() - started:.1f} s"
        )
