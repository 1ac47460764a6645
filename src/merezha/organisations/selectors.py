"""Reads: organisations, services and aliases."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from merezha.core.roles import OrgKind
from merezha.organisations.models import ApiToken, Organisation, Service, ServiceAlias, User


def organisation_get(*, code: str, kind: str | None = None) -> Organisation | None:
    qs = Organisation.objects.filter(code=code)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.first()


def organisation_list(*, kind: str | None = None) -> QuerySet[Organisation]:
    qs = Organisation.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def payment_point_list() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrgKind.PAYMENT_POINT, is_active=True)


def service_spelling_key(text: str) -> str:
    """How a network code or a provider's alias is compared: stripped and lower-cased (a snapshot's
    `service` value is looked up lower-cased in `service_code_map`, `providers.snapshot_rows`)."""
    return text.strip().lower()


def service_code_map(*, provider: Organisation) -> dict[str, str]:
    """Lower-cased network codes and the provider's aliases → network service code."""
    mapping = {service_spelling_key(s.code): s.code for s in Service.objects.all()}
    for alias in ServiceAlias.objects.filter(provider=provider).select_related("service"):
        mapping[service_spelling_key(alias.alias)] = alias.service.code
    return mapping


def service_alias_list(*, provider: Organisation) -> QuerySet[ServiceAlias]:
    """The provider's own aliases of network services, by service code and alias."""
    return (
        ServiceAlias.objects.filter(provider=provider)
        .select_related("service")
        .order_by("service__code", "alias")
    )


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def organisation_count() -> int:
    """How many organisations the hub knows."""
    return Organisation.objects.count()


def service_names() -> dict[str, str]:
    """Network service code → the name people read (`water` → Водопостачання); the code when unnamed."""
    return {code: name or code for code, name in Service.objects.values_list("code", "name")}


def organisation_names(*, codes: Iterable[str]) -> dict[str, str]:
    """Organisation code → its name, for the codes given (unknown codes are left out)."""
    return dict(Organisation.objects.filter(code__in=set(codes)).values_list("code", "name"))
