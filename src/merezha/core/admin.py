from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from merezha.core.models import AuditEntry, InboxDocument


class ReadOnlyAdmin(admin.ModelAdmin):
    """An admin page that only shows: the records are written by services (imports, audit, history)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "organisation_code", "action", "object_type", "object_id")
    list_filter = ("action",)


@admin.register(InboxDocument)
class InboxDocumentAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "sender_code", "recipient_code", "title", "status")
    list_filter = ("kind", "status")
