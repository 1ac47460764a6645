from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from merezha.organisations.models import ApiToken, Organisation, ProviderService, Service, ServiceAlias, User


class ProviderServiceInline(admin.TabularInline):
    model = ProviderService
    extra = 0


class ServiceAliasInline(admin.TabularInline):
    model = ServiceAlias
    extra = 0


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
    fieldsets = (*UserAdmin.fieldsets, ("Merezha", {"fields": ("organisation", "role")}))  # type: ignore[misc]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "user", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "digest", "created_at", "last_used_at")
