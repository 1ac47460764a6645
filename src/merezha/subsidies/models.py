"""The subsidy office's records: the dated rule parameters, exemptions, batch checks and decisions.

The rule's parameters are kept with the date from which they apply (`valid_from`); a check made
as of an application date uses the set in force that day, and the verdict names the set it used.
Parameter sets are never edited once a check may have used them: a change is a new set.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from merezha.core.fields import MoneyField


class FamilyType(models.TextChoices):
    REGULAR = "regular", _("regular family")
    LARGE = "large", _("large family")
    FOSTER = "foster", _("foster family")
    FAMILY_HOME = "family_home", _("family-type children's home")


#: Family types to which the larger threshold applies.
LARGE_FAMILY_TYPES = frozenset({FamilyType.LARGE, FamilyType.FOSTER, FamilyType.FAMILY_HOME})


class SubsidyRuleParameters(models.Model):
    """One set of the rule's parameters, in force from `valid_from` until the next set's date."""

    valid_from = models.DateField(_("valid from"), unique=True)
    months = models.PositiveSmallIntegerField(
        _("months"), default=3, help_text=_("debt older than this many months is overdue")
    )
    threshold = MoneyField(_("threshold"), default=68000, help_text=_("overdue total that blocks"))
    threshold_large_family = MoneyField(
        _("threshold for large, foster and family-type-home families"), default=400000
    )
    exemptions_enabled = models.BooleanField(_("restructuring and court exemptions apply"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("subsidy rule parameters")
        verbose_name_plural = _("subsidy rule parameters")

    def __str__(self) -> str:
        return (
            f"{self.valid_from:%Y-%m-%d}: {self.months} m, {self.threshold} / {self.threshold_large_family}"
        )


class Exemption(models.Model):
    """A debt that does not block a subsidy: restructured under an agreement, or contested in court."""

    class Kind(models.TextChoices):
        RESTRUCTURING = "restructuring", _("restructuring agreement")
        COURT = "court", _("contested in court")

    account = models.ForeignKey("providers.Account", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("to"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    office = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["account_id", "valid_from", "id"]
        indexes = [models.Index(fields=["account", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.valid_from}–{self.valid_to or ''}"


class BatchCheck(models.Model):
    """One uploaded list of applicants and its answer (kept as rows, written to CSV/XLSX on demand)."""

    office = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=200)
    checksum = models.CharField(max_length=64)
    application_date = models.DateField()
    parameters = models.ForeignKey(SubsidyRuleParameters, on_delete=models.PROTECT, related_name="+")
    rows_read = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0)
    blocked = models.PositiveIntegerField(default=0)
    #: One dict per input line, in the columns of `subsidies.documents.BATCH_FILE_COLUMNS`.
    rows = models.JSONField(default=list)
    elapsed_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.rows_read})"


class SubsidyDecision(models.Model):
    """A subsidy decision (exchange-v1 §4), routed to every provider of the household's services."""

    class Source(models.TextChoices):
        PAGE = "page", _("entered on a page")
        FILE = "file", _("uploaded file")
        API = "api", _("API")

    office = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("decision"), max_length=32)
    tax_id = models.CharField(_("tax id"), max_length=16)
    dwelling = models.ForeignKey("registry.Dwelling", on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("address as written"), max_length=200, blank=True)
    period_from = models.DateField(_("from period"))
    period_to = models.DateField(_("to period"))
    source = models.CharField(max_length=8, choices=Source.choices)
    file_name = models.CharField(max_length=200, blank=True)
    checksum = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["office", "number"], name="uniq_subsidy_decision_office_number")
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.tax_id})"


class SubsidyDecisionLine(models.Model):
    decision = models.ForeignKey(SubsidyDecision, on_delete=models.CASCADE, related_name="lines")
    service = models.ForeignKey("organisations.Service", on_delete=models.PROTECT, related_name="+")
    monthly_amount = MoneyField(_("monthly amount"))

    class Meta:
        ordering = ["decision_id", "service__code"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "service"], name="uniq_subsidy_line_service")
        ]

    def __str__(self) -> str:
        return f"{self.decision_id} {self.service_id} {self.monthly_amount}"


class DecisionDelivery(models.Model):
    """One provider's part of a decision: the lines for its services, delivered as one inbox document."""

    decision = models.ForeignKey(SubsidyDecision, on_delete=models.CASCADE, related_name="deliveries")
    provider = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    #: The provider's part as delivered: {"services": [{"service", "account", "monthly_amount"}], ...}.
    payload = models.JSONField()
    checksum = models.CharField(max_length=64)
    document = models.OneToOneField("core.InboxDocument", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["decision_id", "provider__code"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "provider"], name="uniq_decision_delivery_provider")
        ]

    def __str__(self) -> str:
        return f"{self.decision_id} → {self.provider_id}"
