import pytest

from merezha.core.roles import OrgKind, Role
from merezha.organisations.models import ApiToken
from merezha.organisations.services import (
    RoleMismatch,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    user_create,
)

pytestmark = pytest.mark.django_db


def test_role_must_fit_the_organisation(make_org):
    point = make_org(OrgKind.PAYMENT_POINT)
    with pytest.raises(RoleMismatch):
        user_create(username="x", password="p", organisation=point, role=Role.PROVIDER)


def test_token_is_stored_hashed_and_revocable(make_user):
    user = make_user(Role.PROVIDER)
    token, plain = api_token_create(user=user, name="billing")
    assert plain not in ApiToken.objects.values_list("digest", flat=True)
    assert api_token_authenticate(plain=plain) == user
    assert api_token_authenticate(plain=plain + "x") is None
    api_token_revoke(token=token)
    assert api_token_authenticate(plain=plain) is None


def test_service_alias_add_strips_and_lists(make_org):
    from merezha.organisations.selectors import service_alias_list, service_code_map
    from merezha.organisations.services import service_alias_add

    water = make_org(OrgKind.PROVIDER, code="water")
    alias = service_alias_add(provider=water, alias="  ХВП ", service_code="water")
    service_alias_add(provider=water, alias="ВВ", service_code="sewer")
    assert (alias.alias, alias.service.code) == ("ХВП", "water")
    assert [(a.alias, a.service.code) for a in service_alias_list(provider=water)] == [
        ("ВВ", "sewer"),
        ("ХВП", "water"),
    ]
    assert service_code_map(provider=water)["хвп"] == "water"
    assert service_alias_list(provider=make_org(OrgKind.PROVIDER, code="heat")).count() == 0


@pytest.mark.parametrize(
    ("alias", "service", "reason"),
    [
        ("   ", "water", "the alias is empty"),
        ("Х" * 65, "water", "the alias is 65 characters long: it must be 1 to 64 characters"),
        ("ХВ\x00П", "water", "the alias must not contain a control character"),
        ("ХВП", "milk", "unknown service 'milk': not a network service code"),
        ("ХВП", "", "unknown service '': not a network service code"),
        (" Heat ", "water", "'Heat' is a network service code: it needs no alias"),
        ("SEWER", "water", "'SEWER' is a network service code: it needs no alias"),
    ],
)
def test_service_alias_add_refuses(make_org, alias, service, reason):
    from merezha.organisations.models import ServiceAlias
    from merezha.organisations.services import ServiceAliasRefused, service_alias_add

    water = make_org(OrgKind.PROVIDER, code="water")
    with pytest.raises(ServiceAliasRefused) as exc:
        service_alias_add(provider=water, alias=alias, service_code=service)
    assert str(exc.value) == reason and isinstance(exc.value, ValueError)
    assert not ServiceAlias.objects.exists()


def test_service_alias_of_64_characters_is_accepted(make_org):
    from merezha.organisations.services import service_alias_add

    alias = service_alias_add(provider=make_org(OrgKind.PROVIDER), alias="Х" * 64, service_code="heat")
    assert alias.alias == "Х" * 64


def test_service_alias_is_unique_per_provider_ignoring_case(make_org):
    from merezha.organisations.models import ServiceAlias
    from merezha.organisations.services import ServiceAliasRefused, service_alias_add

    water, heat = make_org(OrgKind.PROVIDER, code="water"), make_org(OrgKind.PROVIDER, code="heat")
    service_alias_add(provider=water, alias="ХВП", service_code="water")
    for spelling, service in (("ХВП", "water"), ("хвп", "sewer"), (" Хвп ", "water")):
        with pytest.raises(
            ServiceAliasRefused,
            match="^you already have the alias 'ХВП': aliases are compared ignoring case$",
        ):
            service_alias_add(provider=water, alias=spelling, service_code=service)
    other = service_alias_add(provider=heat, alias="хвп", service_code="hot_water")
    assert sorted(ServiceAlias.objects.values_list("provider__code", "alias", "service__code")) == [
        ("heat", "хвп", "hot_water"),
        ("water", "ХВП", "water"),
    ]
    assert other.provider == heat


def test_service_alias_exact_duplicate_is_refused_by_the_constraint(make_org, monkeypatch):
    """Were the case-insensitive check to miss a row (written meanwhile), the unique constraint refuses it."""
    from merezha.organisations.models import ServiceAlias
    from merezha.organisations.services import ServiceAliasRefused, service_alias_add

    water = make_org(OrgKind.PROVIDER, code="water")
    service_alias_add(provider=water, alias="ХВП", service_code="water")
    real = ServiceAlias.objects.filter

    def blind(*args, **kwargs):
        return real(*args, **kwargs).none()

    monkeypatch.setattr(ServiceAlias.objects, "filter", blind)
    with pytest.raises(ServiceAliasRefused, match="you already have the alias 'ХВП'"):
        service_alias_add(provider=water, alias="ХВП", service_code="sewer")
    monkeypatch.undo()
    assert list(ServiceAlias.objects.values_list("alias", "service__code")) == [("ХВП", "water")]


def test_service_alias_refusal_is_localised(make_org, ukrainian):
    from merezha.organisations.services import ServiceAliasRefused, service_alias_add

    with pytest.raises(ServiceAliasRefused) as exc:
        service_alias_add(provider=make_org(OrgKind.PROVIDER), alias="Water", service_code="water")
    assert str(exc.value) == "'Water' is a network service code: it needs no alias"
    assert exc.value.localised() == "'Water' — код послуги мережі: псевдонім для нього не потрібен"


def test_service_alias_remove_touches_no_account(make_org):
    from merezha.organisations.models import ServiceAlias
    from merezha.organisations.selectors import service_code_map
    from merezha.organisations.services import service_alias_add, service_alias_remove

    water, heat = make_org(OrgKind.PROVIDER, code="water"), make_org(OrgKind.PROVIDER, code="heat")
    alias = service_alias_add(provider=water, alias="ХВП", service_code="water")
    assert service_alias_remove(provider=heat, alias_id=alias.pk) is False
    assert service_alias_remove(provider=water, alias_id=2**63) is False
    assert service_alias_remove(provider=water, alias_id=0) is False
    assert ServiceAlias.objects.filter(pk=alias.pk).exists()
    assert service_alias_remove(provider=water, alias_id=alias.pk) is True
    assert service_alias_remove(provider=water, alias_id=alias.pk) is False
    assert "хвп" not in service_code_map(provider=water)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_adds_of_one_alias_in_two_cases_keep_one(make_org):
    """Eight threads add ХВП/хвп at once: the lock of the provider's row lets exactly one through."""
    from django.db import connection

    from merezha.organisations.models import ServiceAlias
    from merezha.organisations.services import ServiceAliasRefused, service_alias_add
    from tests.concurrency import at_once

    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite serialises every writer (one database lock): real concurrency is tested on PostgreSQL"
        )
    water = make_org(OrgKind.PROVIDER, code="water")
    spellings = ["ХВП", "хвп", "Хвп", "хВП"]

    def add(i: int) -> object:
        return service_alias_add(
            provider=water, alias=spellings[i % 4], service_code="water" if i % 2 else "sewer"
        )

    results = at_once(8, add)
    added = [r for r in results if isinstance(r, ServiceAlias)]
    refused = [r for r in results if isinstance(r, ServiceAliasRefused)]
    assert (len(added), len(refused)) == (1, 7), results
    assert [(a.alias, a.service.code) for a in ServiceAlias.objects.filter(provider=water)] == [
        (added[0].alias, added[0].service.code)
    ]
