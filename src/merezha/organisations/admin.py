from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from merezha.organisations.models import ApiToken, Organisation, ProviderService, Service, ServiceAlias, User


class ProviderServiceInline(admin.TabularInline):
    model = ProviderService
    extra = 0


class ServiceAliasInline(admin.TabularInline):
    """A provider's aliases, to look at or remove: a provider registers them itself, on its services
    page or through the API, where `organisations.services.service_alias_add` keeps the rules (not a
    network code, unique ignoring case)."""

    model = ServiceAlias
    extra = 0
    fields = ("alias", "service")
    readonly_fields = ("alias", "service")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "edrpou", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name", "edrpou")
    inlines = [ProviderServiceInline, ServiceAliasInline]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("code", "name")


@admin.register(User)
class MerezhaUserAdmin(UserAdmin):
    list_display = ("username", "get_full_name", "organisation", "role", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = (*UserAdmin.fieldsets, ("Merezha", {"fields": ("organisation", "role", "is_org_admin")}))  # type: ignore[misc]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens to look at, never to add or edit here: a token is issued on the information centre's
    pages (`/centre/users/<id>/`), where its plain text is shown once; an admin "add" would store a
    row with no digest and show no token."""

    list_display = ("prefix", "name", "user", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    readonly_fields = (
        "user",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "issued_by",
    )
    exclude = ("digest",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
