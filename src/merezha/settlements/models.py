"""Settlement (docs/reference/settlement-matching.md): the money of each register travels from the
payment points' collecting accounts to the providers' receiving accounts.

- `SettlementTerms`: per payment point or its operator (agent), gross or net of a commission.
- `SettlementOrder`: one transfer to make, per register, payer (point or agent) and payee IBAN;
  numbered per provider like registers and never changed once issued.
- `BankStatement` / `BankCredit`: an imported statement (idempotent by statement id and checksum)
  and its incoming credits.
- `SettlementMatch`: which credit pays (part of) which order; an order's and a credit's status
  follow from these rows.
"""

from __future__ import annotations

from django.db import models

from merezha.core.fields import MoneyField


class SettlementTerms(models.Model):
    class Mode(models.TextChoices):
        GROSS = "gross", "the day's total"
        NET = "net", "net of a commission"

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.GROSS)
    #: commission in basis points (1 bp = 0.01 %), 0..10000; used when mode is net
    commission_bp = models.PositiveIntegerField(default=0)
    #: on an operator's terms: one order per agent (all its points) instead of one per point
    by_agent = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.mode} {self.commission_bp} bp"


class SettlementOrder(models.Model):
    provider = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(help_text="1, 2, 3… per provider")
    register = models.ForeignKey("registers.Register", on_delete=models.PROTECT, related_name="+")
    register_number = models.PositiveIntegerField()
    operational_day = models.DateField()
    #: the payment point or the agent (operator) that pays
    payer = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    payer_iban = models.CharField(max_length=34, blank=True)
    payee_iban = models.CharField(max_length=34, blank=True)
    #: the payment points whose takings the order settles, ordered by code
    points = models.JSONField(default=list)
    subtotal = MoneyField()
    commission_bp = models.PositiveIntegerField(default=0)
    commission = MoneyField()
    amount = MoneyField()
    purpose = models.CharField(max_length=140)
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["provider_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "number"], name="uniq_settlement_order_number"),
            models.UniqueConstraint(
                fields=["register", "payer", "payee_iban"], name="uniq_settlement_order_register_payer"
            ),
        ]
        indexes = [
            models.Index(fields=["operational_day"]),
            models.Index(fields=["payee_iban", "payer_iban", "register_number"]),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} order {self.number} ({self.operational_day})"

    @property
    def end_to_end_id(self) -> str:
        """The reference the order carries through the bank (pain.001 EndToEndId, ≤ 35 characters)."""
        return f"MRZ-{self.pk}"


class BankStatement(models.Model):
    class Format(models.TextChoices):
        CAMT053 = "camt053", "ISO 20022 camt.053"
        CSV = "csv", "CSV"

    statement_id = models.CharField(max_length=64, unique=True)
    checksum = models.CharField(max_length=64, unique=True)
    format = models.CharField(max_length=8, choices=Format.choices)
    filename = models.CharField(max_length=200, blank=True)
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        "organisations.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credits = models.PositiveIntegerField(default=0)
    total = MoneyField()

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return self.statement_id


class BankCredit(models.Model):
    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="lines")
    line = models.PositiveIntegerField()
    #: the receiving (provider's) account
    account_iban = models.CharField(max_length=34, db_index=True)
    amount = MoneyField()
    value_date = models.DateField()
    booking_date = models.DateField(null=True, blank=True)
    payer_iban = models.CharField(max_length=34, blank=True)
    payer_name = models.CharField(max_length=140, blank=True)
    purpose = models.CharField(max_length=500, blank=True)
    reference = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["statement_id", "line"]
        constraints = [models.UniqueConstraint(fields=["statement", "line"], name="uniq_bank_credit_line")]

    def __str__(self) -> str:
        return f"{self.statement_id}:{self.line} {self.amount}"


class SettlementMatch(models.Model):
    order = models.ForeignKey(SettlementOrder, on_delete=models.PROTECT, related_name="matches")
    credit = models.ForeignKey(BankCredit, on_delete=models.PROTECT, related_name="matches")
    amount = MoneyField()
    #: how it was found: "reference" (register number in the purpose) or "amount" (amount, date, payer)
    rule = models.CharField(max_length=16)

    class Meta:
        ordering = ["order_id", "credit_id"]
        constraints = [models.UniqueConstraint(fields=["order", "credit"], name="uniq_settlement_match")]

    def __str__(self) -> str:
        return f"order {self.order_id} ← credit {self.credit_id}: {self.amount}"
