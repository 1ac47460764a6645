"""Housing-office records that are not the city register itself: temporary absences and change reports.

The register (dwellings, residents, benefits and its history) lives in `merezha.registry`; the
housing office edits it through `merezha.housing.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Absence(models.Model):
    """A registered person's temporary absence (from..to inclusive): the ground of a rent recalculation."""

    office = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="absences")
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    reason = models.CharField(_("reason"), max_length=200)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["date_from", "id"]
        indexes = [models.Index(fields=["office", "date_from"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_to__gte=models.F("date_from")), name="absence_to_after_from"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.date_from}..{self.date_to}"


class ChangeReport(models.Model):
    """The monthly change report (exchange-v1 §5) of one housing office for one provider.

    Frozen when issued: `lines` holds every row as delivered, `checksum` is the SHA-256 of its
    canonical CSV. One per (office, month, provider): issuing again changes nothing.
    """

    office = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    month = models.DateField(help_text="first day of the month")
    lines = models.JSONField(default=list)
    line_count = models.PositiveIntegerField(default=0)
    checksum = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    inbox_document = models.ForeignKey(
        "core.InboxDocument", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-month", "office_id", "provider_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "month", "provider"], name="uniq_change_report_office_month_provider"
            )
        ]

    def __str__(self) -> str:
        return f"{self.office_id}→{self.provider_id} {self.month:%Y-%m}"
