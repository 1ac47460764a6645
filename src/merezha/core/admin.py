from django.contrib import admin

from merezha.core.models import AuditEntry, InboxDocument


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "user", "organisation_code", "action", "object_type", "object_id")
    list_filter = ("action",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(InboxDocument)
class InboxDocumentAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "sender_code", "recipient_code", "title", "status")
    list_filter = ("kind", "status")
