"""Cross-cutting records: the audit log, idempotency keys and inbox documents."""

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One look-up of a person's data, or one action worth tracing (who, when, what)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    organisation_code = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    #: what was asked, as typed, with every tax id in it masked as a cashier sees it (`******3742`)
    query = models.CharField(max_length=200, blank=True)
    #: a keyed hash of the tax id asked for (`core.services.audit_tax_id_hash`): the centre finds who
    #: looked a person up by typing the full number, which the log itself never keeps
    tax_id_hash = models.CharField(max_length=64, blank=True, db_index=True)
    #: where the request came from: `web` (a page), `api`, or blank (a command, a background job)
    channel = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["organisation_code", "at"], name="core_audit_org_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"


class AuditSubject(models.Model):
    """One dwelling or person an audited look-up showed (a search shows several; a card, one)."""

    class Kind(models.TextChoices):
        DWELLING = "dwelling"
        PERSON = "person"

    entry = models.ForeignKey(AuditEntry, on_delete=models.PROTECT, related_name="subjects")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    #: the id in the register (`registry.Dwelling`, `registry.Person`); no foreign key: the log
    #: outlives what it names, and `core` sits below `registry`
    object_id = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["kind", "object_id"], name="core_auditsubject_kind_obj")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"


class IdempotencyKey(models.Model):
    """A write accepted once per (scope, key). The unique row is the lock: a second insert fails.

    A payment, a snapshot upload or a subsidy decision names its result (`result_type`, `result_id`);
    the other API writes (`core.services.idempotency_answer`) keep the answer itself: its HTTP status
    and its JSON text, replayed as they were.
    """

    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=128)
    request_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    result_type = models.CharField(max_length=64, blank=True)
    result_id = models.CharField(max_length=64, blank=True)
    #: the kept answer (null for a claim that names its result instead); the body is JSON text, not
    #: a JSONField: PostgreSQL's jsonb would reorder its keys and refuse a NUL character
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="uniq_idempotency_scope_key")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class InboxDocument(models.Model):
    """A document addressed to one organisation: a register, a subsidy decision, a change report."""

    class Kind(models.TextChoices):
        REGISTER = "register"
        SUBSIDY_DECISION = "subsidy_decision"
        CHANGE_REPORT = "change_report"
        DISCREPANCY_REPORT = "discrepancy_report"
        REMINDER = "reminder"

    class Status(models.TextChoices):
        DELIVERED = "delivered"
        READ = "read"
        ACKNOWLEDGED = "acknowledged"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    sender_code = models.CharField(max_length=32)
    recipient_code = models.CharField(max_length=32, db_index=True)
    #: the English title, for the API and the admin; pages render the title from `kind` and `values`
    #: in the reader's language (`core.inbox.inbox_title`)
    title = models.CharField(max_length=200)
    #: what the title says (a register's number and day, a report's month…), as plain JSON values
    values = models.JSONField(default=dict, blank=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    checksum = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DELIVERED)
    read_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient_code", "kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_code}: {self.title}"


class Certificate(models.Model):
    """An issued certificate (довідка): numbered, its figures frozen, verifiable by anyone holding it.

    `digest` is the SHA-256 of the canonical JSON of what was printed; `code` is an HMAC of the
    digest under the server's secret, printed (and in the QR link) so that a forged number or
    altered figures fail verification.
    """

    class Kind(models.TextChoices):
        FAMILY_COMPOSITION = "family_composition"
        PAYMENT_STATUS = "payment_status"
        SUBSIDY_DEBT_STATUS = "subsidy_debt_status"

    number = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    issuer_code = models.CharField(max_length=32)
    issuer_name = models.CharField(max_length=200)
    issued_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(max_length=200, help_text="what the certificate is about, e.g. dwelling:123")
    payload = models.JSONField()
    digest = models.CharField(max_length=64)
    code = models.CharField(max_length=64)

    class Meta:
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.number}"


class Lease(models.Model):
    """Background work a worker process has taken (`snapshot-import:42`), while it lives.

    The holder names the process (`host:pid:start`) and beats every few seconds on its own database
    connection; the row outlives a worker that dies (`kill -9`, lost machine), and the recovery step
    (`core.leases`, run by the worker and `merezha imports-recover`) finds it so. `attempts` counts
    the runs of the work, kept when a recovered run takes the lease again.
    """

    name = models.CharField(max_length=100, unique=True)
    holder = models.CharField(max_length=200)
    taken_at = models.DateTimeField()
    beat_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.name} ({self.holder})"
