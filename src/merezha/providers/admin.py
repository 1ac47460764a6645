"""The information centre watches the exchange: who sent which snapshot, when, and what it did.

Read-only: a provider's data changes only through its own uploads.
"""

from django.contrib import admin

from merezha.core.admin import ReadOnlyAdmin
from merezha.providers.models import Snapshot


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "provider",
        "period",
        "payments_through",
        "status",
        "rows_read",
        "rows_applied",
        "rows_rejected",
        "closing_total",
        "unmatched",
        "discrepancy_count",
        "created_by",
        "created_at",
    )
    list_filter = ("status", "provider")
    date_hierarchy = "created_at"
