"""Provider snapshots, accounts with their current balance, the history of every period, and discrepancies.

A snapshot is the provider's complete state as of `payments_through`; the newest applied one is
in force (`Account.snapshot`). `AccountPeriod` keeps every period's figures of every account,
because the subsidy rules need charges by month.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from merezha.core.fields import MoneyField


class Snapshot(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("importing")
        APPLIED = "applied", _("applied")
        REJECTED = "rejected", _("rejected")
        FAILED = "failed", _("failed")

    provider = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="snapshots"
    )
    #: Empty only while a refused or waiting upload has not said its period.
    period = models.DateField(_("period"), null=True, blank=True, help_text="first day of the month")
    payments_through = models.DateField(_("payments through"), null=True, blank=True)
    accept_partial = models.BooleanField(default=False)
    #: Where a web or API upload waits for the background import (deleted once imported).
    stored_path = models.CharField(max_length=500, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    checksum = models.CharField(max_length=64, blank=True)
    file_format = models.CharField(max_length=8, blank=True)
    encoding = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    rows_read = models.PositiveIntegerField(default=0)
    rows_applied = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    closing_total = MoneyField(default=0)
    unmatched = models.PositiveIntegerField(default=0)
    discrepancy_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["provider", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.period:%Y-%m} ({self.status})"


class Account(models.Model):
    """A provider's account for one service, as of the snapshot in force."""

    class Match(models.TextChoices):
        MATCHED = "matched", _("matched")
        UNMATCHED = "unmatched", _("unmatched")
        AMBIGUOUS = "ambiguous", _("ambiguous")

    # Indexes are few on purpose: every one is rewritten by a 600,000-row snapshot. The provider is
    # the unique key's prefix, the dwelling the (dwelling, is_active) index's prefix.
    provider = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="accounts", db_index=False
    )
    number = models.CharField(_("account"), max_length=32)
    service = models.ForeignKey(
        "organisations.Service", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    dwelling = models.ForeignKey(
        "registry.Dwelling",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        db_index=False,
    )
    match_status = models.CharField(max_length=16, choices=Match.choices, default=Match.UNMATCHED)
    street = models.CharField(max_length=120)
    house = models.CharField(max_length=32)
    apartment = models.CharField(max_length=16, blank=True)
    payer = models.CharField(max_length=200, blank=True)
    tax_id = models.CharField(max_length=16, blank=True)
    closing = MoneyField(_("balance owed"), default=0)
    # not indexed: snapshots are never deleted (PROTECT, append-only), so nothing looks accounts up by it
    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="+", db_index=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "number", "service"], name="uniq_account_provider_number_service"
            )
        ]
        indexes = [models.Index(fields=["dwelling", "is_active"])]

    def __str__(self) -> str:
        return f"{self.number}/{self.service_id}"

    @property
    def address(self) -> str:
        """The address as the provider wrote it."""
        parts = [self.street, self.house]
        if self.apartment:
            parts.append(f"кв. {self.apartment}")
        return ", ".join(p for p in parts if p)


class AccountPeriod(models.Model):
    """One account's figures for one period (the history); `snapshot` is the one that last changed them.

    Only the snapshot import writes these rows, so a provider has figures for a period only once
    one of its snapshots for that period was applied (the import relies on it: the period's first
    snapshot inserts without looking for existing rows).
    """

    # the account is the unique (account, period) key's prefix; snapshots are never deleted
    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="periods", db_index=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="periods", db_index=False)
    period = models.DateField()
    opening = MoneyField(null=True, blank=True)
    charged = MoneyField(null=True, blank=True)
    recalc = MoneyField(null=True, blank=True)
    benefit = MoneyField(null=True, blank=True)
    subsidy = MoneyField(null=True, blank=True)
    paid = MoneyField(null=True, blank=True)
    closing = MoneyField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "period"], name="uniq_accountperiod_account_period")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.period:%Y-%m}"


class Discrepancy(models.Model):
    """Where a provider's data disagrees with the city register; reported back, never fixed by the hub."""

    class Kind(models.TextChoices):
        UNMATCHED_ADDRESS = "unmatched_address", _("address not found in the register")
        AMBIGUOUS_ADDRESS = "ambiguous_address", _("address matches several dwellings")
        PAYER_NOT_REGISTERED = "payer_not_registered", _("payer is not registered in the dwelling")
        TAX_ID_MISMATCH = "tax_id_mismatch", _("tax id disagrees with the register")
        UNKNOWN_DWELLING = "unknown_dwelling", _("dwelling unknown to the register")
        INVALID_TAX_ID = "invalid_tax_id", _("tax id is not valid")

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="discrepancies")
    account_number = models.CharField(max_length=32)
    service_code = models.CharField(max_length=32)
    line = models.PositiveIntegerField()
    kind = models.CharField(max_length=32, choices=Kind.choices)
    address = models.CharField(max_length=200, blank=True)
    payer = models.CharField(max_length=200, blank=True)
    detail = models.CharField(max_length=300)

    class Meta:
        ordering = ["snapshot_id", "line", "id"]

    def __str__(self) -> str:
        return f"{self.account_number}: {self.kind}"
