"""Operational days, payments and their lines, cancellations. Payments are append-only.

A payment's id is a UUID, stable and unique across the whole network. Lines carry the account,
its provider and the operational day (copied from the payment, which never changes) so that the
current-debt selector and the day close work on one table with set-based queries.

Every reference is a database foreign key: the database refuses a payment or a line that points
at no point, cashier, account or provider. Inserting a row with a foreign key locks the row it
points at `FOR KEY SHARE` until commit; the writers that lock organisation rows (day close,
snapshot import) take `FOR NO KEY UPDATE` (`merezha.organisations.locks`), which that lock does not
block, so payments do not wait for them. Indexes that another index already covers are left out
(fewer writes per payment).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from merezha.core.fields import MoneyField


class OperationalDay(models.Model):
    """One payment point's operational day. Its row is the per-point-day lock and receipt counter."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    point = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("operational day"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    #: The last receipt number issued at this point on this day (incremented under the row lock).
    receipt_counter = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["point", "day"], name="uniq_operational_day_point_day")
        ]
        indexes = [models.Index(fields=["day", "status"])]

    def __str__(self) -> str:
        return f"{self.point_id} {self.day} ({self.status})"


class Payment(models.Model):
    class Method(models.TextChoices):
        CASH = "cash", _("cash")
        CARD = "card", _("card")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # the point's index is the unique (point, operational_day, number)'s
    point = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    operational_day = models.DateField(_("operational day"))
    number = models.PositiveIntegerField(help_text="n of the receipt: 1, 2, 3… per point and day")
    receipt = models.CharField(_("receipt"), max_length=48)
    accepted_at = models.DateTimeField(_("accepted at"))
    method = models.CharField(max_length=8, choices=Method.choices)
    total = MoneyField(_("total"))
    tendered = MoneyField(_("tendered"), null=True, blank=True)
    change = MoneyField(_("change"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=128)

    class Meta:
        ordering = ["accepted_at", "point_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["point", "operational_day", "number"], name="uniq_payment_point_day_number"
            ),
            models.UniqueConstraint(fields=["point", "idempotency_key"], name="uniq_payment_point_key"),
            # a constraint rather than unique=True: no second (LIKE-pattern) index on PostgreSQL
            models.UniqueConstraint(fields=["receipt"], name="uniq_payment_receipt"),
        ]

    def __str__(self) -> str:
        return self.receipt


class PaymentLine(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="lines")
    # indexed by (account, operational_day) below
    account = models.ForeignKey(
        "providers.Account", on_delete=models.PROTECT, related_name="payment_lines", db_index=False
    )
    provider = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    #: copied from the payment (never changes) so the debt and the day close need no join
    operational_day = models.DateField()
    # indexed by (point, operational_day) below
    point = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    amount = MoneyField(_("amount"))

    class Meta:
        ordering = ["payment_id", "id"]
        indexes = [
            models.Index(fields=["account", "operational_day"]),
            models.Index(fields=["operational_day", "provider"]),
            models.Index(fields=["point", "operational_day"]),  # the shift summary
        ]

    def __str__(self) -> str:
        return f"{self.payment_id}:{self.account_id} {self.amount}"


class Cancellation(models.Model):
    """A cancelled payment: its own record, never a deletion; at most one per payment."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="cancellation")
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    cancelled_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"cancel {self.payment_id}"
