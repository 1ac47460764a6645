from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The information centre's viewer of the audit log (the log itself is `core.AuditEntry`)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "merezha.audit"
    label = "audit"
