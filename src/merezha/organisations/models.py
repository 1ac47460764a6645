"""Organisations, their services, users who act for one organisation with one role, and API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from merezha.core.roles import OrgKind, Role


class Organisation(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=OrgKind.choices)
    edrpou = models.CharField(_("EDRPOU"), max_length=8, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("For a payment point: its operator (bank, post office)."),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    #: For a payment point or its operator: the collecting account the day's takings are paid from.
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    #: For a provider: the code page of its DBF files (cp1251, cp866 or cp1125).
    dbf_encoding = models.CharField(_("DBF code page"), max_length=8, default="cp1251")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Service(models.Model):
    """A network service code of exchange-v1 §2 (water, sewer, heat, …)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.code


class ProviderService(models.Model):
    provider = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="provider_services")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    #: The provider's receiving account for this service: payments are settled to it, bills name it.
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "service"], name="uniq_provider_service")]

    def __str__(self) -> str:
        return f"{self.provider.code}:{self.service.code}"


class ServiceAlias(models.Model):
    """A provider's own name for a network service (e.g. `ХВП` for `water`)."""

    provider = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="service_aliases")
    alias = models.CharField(max_length=64)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "alias"], name="uniq_provider_alias")]

    def __str__(self) -> str:
        return f"{self.provider.code}:{self.alias}→{self.service.code}"


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    #: The organisation's own administrator: issues, rotates and revokes its users' API tokens.
    is_org_admin = models.BooleanField(_("organisation administrator"), default=False)

    def has_role(self, *roles: str) -> bool:
        return bool(self.is_active and self.organisation_id and self.role in roles)


class ApiToken(models.Model):
    """A bearer token of one user; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    #: Who issued it (the user itself, its organisation's administrator or the information centre).
    issued_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"
