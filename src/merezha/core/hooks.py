"""What runs after an import has been applied, wired in settings so that lower apps need not know higher ones.

`settings.MEREZHA_AFTER_IMPORT` lists dotted paths of functions taking `report=` (an applied
`ImportReport`); by default the cashier's search index refreshes the dwellings the import changed.
Imports of the register and of provider snapshots call `imports_applied` after their transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from merezha.core.imports import ImportReport


def imports_applied(*, report: ImportReport) -> None:
    if not report.applied:
        return
    for path in getattr(settings, "MEREZHA_AFTER_IMPORT", []):
        import_string(path)(report=report)
