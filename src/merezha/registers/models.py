"""Payment registers (exchange-v1 §3): numbered per provider, immutable once issued.

Every register line refers to one payment line, and a payment line may be referred to once
(a unique constraint): each accepted payment lands in exactly one register. The lines keep a
copy of what was sent (account number, payer, address as the provider wrote them) so that a
register reads the same forever, whatever the provider's next snapshot says.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from merezha.core.fields import MoneyField


class Register(models.Model):
    provider = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(help_text="1, 2, 3… per provider")
    operational_day = models.DateField()
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    count = models.PositiveIntegerField()
    total = MoneyField()
    #: per payment point: [{"point": code, "count": n, "total": "123.45"}], ordered by point code
    points = models.JSONField(default=list)
    #: sha256 of the canonical JSON (summary and lines)
    checksum = models.CharField(max_length=64)
    document = models.OneToOneField(
        "core.InboxDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["provider_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "number"], name="uniq_register_provider_number")
        ]
        indexes = [models.Index(fields=["provider", "operational_day"])]

    def __str__(self) -> str:
        return f"{self.provider_id} #{self.number} {self.operational_day}"


class RegisterLine(models.Model):
    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="lines")
    line = models.PositiveIntegerField()
    payment_line = models.OneToOneField(
        "payments.PaymentLine", on_delete=models.PROTECT, related_name="register_line"
    )
    payment_id = models.UUIDField(default=uuid.uuid4)
    receipt = models.CharField(max_length=48)
    paid_at = models.DateTimeField()
    point_code = models.CharField(max_length=32)
    account = models.CharField(max_length=32)
    service = models.CharField(max_length=32)
    payer = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=200, blank=True)
    amount = MoneyField()

    class Meta:
        ordering = ["register_id", "line"]
        constraints = [models.UniqueConstraint(fields=["register", "line"], name="uniq_register_line")]

    def __str__(self) -> str:
        return f"{self.register_id}:{self.line}"
