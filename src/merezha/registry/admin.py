from django.contrib import admin

from merezha.core.admin import ReadOnlyAdmin
from merezha.registry.models import (
    BenefitCategory,
    Building,
    Dwelling,
    Person,
    RegisterChange,
    Street,
    StreetName,
)


class StreetNameInline(admin.TabularInline):
    model = StreetName
    extra = 0
    exclude = ("key",)


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    list_display = ("name", "type")
    search_fields = ("name",)
    exclude = ("key",)
    inlines = [StreetNameInline]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ("street", "number", "office")
    list_filter = ("office",)
    search_fields = ("street__name", "number")


@admin.register(Dwelling)
class DwellingAdmin(admin.ModelAdmin):
    list_display = ("__str__", "office", "office_ref", "area", "is_active")
    list_filter = ("office", "is_active")
    search_fields = ("office_ref",)
    raw_id_fields = ("building",)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("full_name", "birth_date", "relation", "benefit", "is_active")
    search_fields = ("surname", "tax_id")
    raw_id_fields = ("dwelling",)


@admin.register(BenefitCategory)
class BenefitCategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name")


@admin.register(RegisterChange)
class RegisterChangeAdmin(ReadOnlyAdmin):
    list_display = ("recorded_at", "office", "dwelling", "kind", "field", "old_value", "new_value", "source")
    list_filter = ("kind", "office")
    raw_id_fields = ("dwelling", "person")
