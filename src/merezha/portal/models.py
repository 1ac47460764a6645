"""The resident's access codes, sign-in attempts and bill batches."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ResidentAccess(models.Model):
    """A dwelling's access code for the resident's pages, as a hash.

    The code itself is never stored: it is derived from the secret key and `nonce`
    (`portal.services.access_code`), so a bill can be printed again with the same code, and a
    copy of the database alone reveals none. Rotating draws a new nonce: the old code stops working
    and every resident session of the dwelling ends.
    """

    dwelling = models.OneToOneField("registry.Dwelling", on_delete=models.PROTECT, related_name="+")
    nonce = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    rotated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"access of dwelling {self.dwelling_id}"


class SignInAttempt(models.Model):
    """One try at the resident's sign-in; failures in a window lock the account number and the client."""

    at = models.DateTimeField(auto_now_add=True)
    #: a hash of the account number typed (upper case, no spaces)
    account_key = models.CharField(max_length=64)
    #: a hash of the client's address
    client_key = models.CharField(max_length=64)
    succeeded = models.BooleanField(default=False)
    dwelling = models.ForeignKey(
        "registry.Dwelling", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["account_key", "at"]),
            models.Index(fields=["client_key", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {'ok' if self.succeeded else 'failed'}"


class BillBatch(models.Model):
    """Bills for one housing office, or for the whole city (office empty), made by a background task."""

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("bill batch", "queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    office = models.ForeignKey(
        "organisations.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    layout = models.CharField(max_length=8, default="a4x2")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    #: office code -> {"path": file under MEREZHA_HOME, "bills": count}
    files = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"bill batch {self.pk} ({self.status})"
