from django.contrib import admin

from merezha.subsidies.models import Exemption, SubsidyRuleParameters


@admin.register(SubsidyRuleParameters)
class SubsidyRuleParametersAdmin(admin.ModelAdmin):
    """Read-only here: sets are added on the information centre's page /subsidies/rule/ (amounts in UAH)
    and never edited, because a verdict names the set it used."""

    list_display = (
        "valid_from",
        "months",
        "threshold",
        "threshold_large_family",
        "exemptions_enabled",
        "note",
    )

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Exemption)
class ExemptionAdmin(admin.ModelAdmin):
    list_display = ("account", "kind", "valid_from", "valid_to", "note", "office")
    list_filter = ("kind",)
