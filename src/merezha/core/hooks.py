"""What runs after an import has been applied or a document delivered, wired in settings so that lower
apps need not know higher ones.

`settings.MEREZHA_AFTER_IMPORT` lists dotted paths of functions taking `report=` (an applied
`ImportReport`); by default the cashier's search index refreshes the dwellings the import changed.
Imports of the register and of provider snapshots call `imports_applied` after their transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string

from merezha.core.imports import ImportReport

if TYPE_CHECKING:
    from merezha.core.models import InboxDocument


def imports_applied(*, report: ImportReport) -> None:
    if not report.applied:
        return
    for path in getattr(settings, "MEREZHA_AFTER_IMPORT", []):
        import_string(path)(report=report)


def documents_delivered(*, document: InboxDocument) -> None:
    """`settings.MEREZHA_AFTER_DELIVERY` lists dotted paths of functions taking `document=` (an inbox
    document just filed, inside the deliverer's transaction); by default the exchange's webhooks."""
    for path in getattr(settings, "MEREZHA_AFTER_DELIVERY", []):
        import_string(path)(document=document)
