"""Reads: organisations, services and aliases."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from merezha.core.roles import OrgKind
from merezha.organisations.models import ApiToken, Organisation, ProviderService, Service, ServiceAlias, User

if TYPE_CHECKING:
    from merezha.registry.models import Building


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
    return ApiToken.objects.filter(user=user).select_related("issued_by")


def home_figures(*, user: User) -> list[tuple[str, object]]:
    """The few figures a role's home page opens with, scoped to the user's organisation."""
    from django.utils.translation import gettext as _

    from merezha.core.roles import Role
    from merezha.registry.models import Building, Dwelling, Person, Street

    org = user.organisation
    if org is None:
        return []
    if user.role == Role.HOUSING:
        return [
            (_("Buildings"), Building.objects.filter(office=org).count()),
            (_("Dwellings"), Dwelling.objects.filter(office=org, is_active=True).count()),
            (_("Registered residents"), Person.objects.filter(dwelling__office=org, is_active=True).count()),
        ]
    if user.role == Role.PROVIDER:
        return [
            (
                _("Services"),
                ", ".join(
                    ps.service.name or ps.service.code
                    for ps in org.provider_services.select_related("service").order_by("service__code")
                ),
            )
        ]
    if user.role == Role.CASHIER:
        return [(_("Payment point"), org.name), (_("Operator"), org.parent.name if org.parent else "")]
    return [
        (_("Organisations"), Organisation.objects.count()),
        (_("Streets"), Street.objects.count()),
        (_("Dwellings"), Dwelling.objects.filter(is_active=True).count()),
        (_("Registered residents"), Person.objects.filter(is_active=True).count()),
    ]


def service_names() -> dict[str, str]:
    """Network service code → the name people read (`water` → Водопостачання); the code when unnamed."""
    return {code: name or code for code, name in Service.objects.values_list("code", "name")}


def organisation_names(*, codes: Iterable[str]) -> dict[str, str]:
    """Organisation code → its name, for the codes given (unknown codes are left out)."""
    return dict(Organisation.objects.filter(code__in=set(codes)).values_list("code", "name"))


class UnknownOrganisation(LookupError):
    """A code that names no registered organisation of the kind asked for; the message lists the
    known codes of that kind (the command line's one-line reason)."""


#: How the command line and the exchange's English messages name each kind
KIND_WORDS: dict[str, str] = {
    OrgKind.PROVIDER: "provider",
    OrgKind.HOUSING_OFFICE: "housing office",
    OrgKind.PAYMENT_POINT: "payment point",
    OrgKind.PAYMENT_OPERATOR: "payment operator",
    OrgKind.SUBSIDY_OFFICE: "subsidy office",
    OrgKind.INFO_CENTRE: "information centre",
    OrgKind.CITY: "city management",
}


def organisation_require(*, code: str, kind: str) -> Organisation:
    """The registered organisation of this kind with this code. Nothing is ever registered here: an
    unknown code raises UnknownOrganisation naming the known codes (`merezha org add` registers)."""
    code = (code or "").strip()
    org = Organisation.objects.filter(code=code).first()
    word = KIND_WORDS[kind]
    if org is not None and org.kind == kind:
        return org
    if org is not None:
        raise UnknownOrganisation(f"{code} is a {KIND_WORDS[org.kind]}, not a {word}")
    known = list(Organisation.objects.filter(kind=kind).order_by("code").values_list("code", flat=True))
    listed = ", ".join(known) if known else "none"
    raise UnknownOrganisation(
        f"unknown {word} {code!r}: known codes are {listed} "
        f"(register a new one with `merezha org add --kind {kind.replace('_', '-')}`)"
    )


def organisation_get_by_id(*, organisation_id: int) -> Organisation | None:
    if not 0 < organisation_id < 2**63:
        return None
    return Organisation.objects.select_related("parent").filter(pk=organisation_id).first()


def organisation_user_list(*, organisation: Organisation) -> QuerySet[User]:
    return User.objects.filter(organisation=organisation).order_by("username")


def provider_service_list(*, provider: Organisation) -> QuerySet[ProviderService]:
    return (
        ProviderService.objects.filter(provider=provider).select_related("service").order_by("service__code")
    )


def service_list() -> QuerySet[Service]:
    return Service.objects.order_by("code")


def payment_operator_list() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrgKind.PAYMENT_OPERATOR).order_by("code")


def building_list(*, office: Organisation) -> QuerySet[Building]:
    """The housing office's buildings with the number of its active dwellings in each."""
    from django.db.models import Count, Q

    from merezha.registry.models import Building

    return (
        Building.objects.filter(office=office)
        .select_related("street")
        .annotate(dwelling_count=Count("dwellings", filter=Q(dwellings__is_active=True)))
        .order_by("street__name", "key")
    )


def user_list_managed(*, manager: User) -> QuerySet[User]:
    """The users whose API tokens `manager` issues, rotates and revokes: every user of an
    organisation for an information centre administrator, its own organisation's users for an
    organisation administrator, nobody otherwise."""
    from merezha.core.roles import Role

    qs = User.objects.filter(organisation__isnull=False).select_related("organisation")
    if not manager.is_active or not manager.organisation_id:
        return qs.none()
    if manager.role == Role.ADMIN:
        return qs
    if manager.is_org_admin:
        return qs.filter(organisation_id=manager.organisation_id)
    return qs.none()


def user_get_managed(*, manager: User, user_id: int) -> User | None:
    """One user `manager` may manage (None: not one of them, which a page answers with 404)."""
    if not 0 < user_id < 2**63:
        return None
    return user_list_managed(manager=manager).filter(pk=user_id).first()


def api_token_get_managed(*, manager: User, token_id: int) -> ApiToken | None:
    if not 0 < token_id < 2**63:
        return None
    return (
        ApiToken.objects.filter(pk=token_id, user__in=user_list_managed(manager=manager))
        .select_related("user")
        .first()
    )


def api_token_list_live() -> QuerySet[ApiToken]:
    """Every token not revoked (expired ones included, marked by their `expires_at`), newest first."""
    return (
        ApiToken.objects.filter(revoked_at__isnull=True)
        .select_related("user", "user__organisation", "issued_by")
        .order_by("-created_at")
    )
