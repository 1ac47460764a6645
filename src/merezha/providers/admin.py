"""The information centre watches the exchange: who sent which snapshot, when, and what it did.

Read-only: a provider's data changes only through its own uploads.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from merezha.providers.models import Snapshot


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
