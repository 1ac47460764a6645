"""The exchange's own records: the scheduler's job runs, organisations' webhooks and their delivery log.

Documents themselves are `core.InboxDocument`s; this app runs the exchange (day close, change
reports, reminders on a schedule), pushes documents to partners' webhooks and watches it all.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobRun(models.Model):
    """One run of a scheduled job for one slot (a day, a month). The unique row is the claim: a job
    runs once per slot whatever the number of workers; a failed run is retried on later ticks."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        OK = "ok", _("done")
        FAILED = "failed", _("failed")

    job = models.CharField(max_length=32)
    #: what the run is for: "2026-12-07" (a day), "2026-11" (a month)
    slot = models.CharField(max_length=32)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    attempts = models.PositiveSmallIntegerField(default=1)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="uniq_job_run_job_slot")]

    def __str__(self) -> str:
        return f"{self.job} {self.slot} ({self.status})"


class Webhook(models.Model):
    """Where an organisation wants its new inbox documents pushed: a URL and the HMAC secret."""

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    url = models.URLField(max_length=500)
    #: the shared secret of the HMAC-SHA256 signature (shown to the organisation once, when set)
    secret = models.CharField(max_length=128)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.organisation_id} → {self.url}"


class WebhookDelivery(models.Model):
    """One document pushed to one webhook: tried until it answers 2xx, with exponential back-off."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    document = models.ForeignKey("core.InboxDocument", on_delete=models.PROTECT, related_name="+")
    #: the exact JSON body sent (and signed), the same on every attempt
    body = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["webhook", "document"], name="uniq_webhook_delivery_document")
        ]

    def __str__(self) -> str:
        return f"{self.webhook_id}:{self.document_id} ({self.status})"


class WebhookAttempt(models.Model):
    """The delivery log: one row per HTTP attempt."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery_id", "number"]

    def __str__(self) -> str:
        return f"{self.delivery_id}#{self.number} {self.status_code or self.error}"
