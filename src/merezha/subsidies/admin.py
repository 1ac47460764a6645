from django.contrib import admin

from merezha.core.admin import ReadOnlyAdmin
from merezha.subsidies.models import Exemption, SubsidyRuleParameters


@admin.register(SubsidyRuleParameters)
class SubsidyRuleParametersAdmin(ReadOnlyAdmin):
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


@admin.register(Exemption)
class ExemptionAdmin(admin.ModelAdmin):
    list_display = ("account", "kind", "valid_from", "valid_to", "note", "office")
    list_filter = ("kind",)
