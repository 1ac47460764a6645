"""Registering organisations, their services' IBANs, buildings, users and API tokens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from merezha.core.roles import OrgKind, Role
from merezha.organisations.models import ApiToken, Organisation, ProviderService
from merezha.organisations.selectors import (
    UnknownOrganisation,
    api_token_get_managed,
    organisation_require,
    user_get_managed,
    user_list_managed,
)
from merezha.organisations.services import (
    Invalid,
    api_token_authenticate,
    api_token_create,
    api_token_rotate,
    edrpou_clean,
    housing_office_building_assign,
    iban_clean,
    organisation_register,
    organisation_update,
    provider_service_set,
    user_register,
    user_set_active,
)

pytestmark = pytest.mark.django_db

EDRPOU = "32855961"  # a valid ЄДРПОУ (check digit 1)
IBAN = "UA213223130000026007233566001"  # a valid Ukrainian IBAN


def test_register_is_idempotent_and_refuses_another_kind():
    org, created = organisation_register(
        kind=OrgKind.PROVIDER, code="water", name=" Водоканал ", edrpou=EDRPOU
    )
    assert created and (org.name, org.edrpou, org.kind) == ("Водоканал", EDRPOU, OrgKind.PROVIDER)
    again, created = organisation_register(kind=OrgKind.PROVIDER, code="water", name="Another name")
    assert (again.pk, created, again.name) == (org.pk, False, "Водоканал")
    with pytest.raises(Invalid) as exc:
        organisation_register(kind=OrgKind.HOUSING_OFFICE, code="water", name="ЖЕК")
    assert str(exc.value) == "the code water is already registered: Utility provider Водоканал"
    assert Organisation.objects.count() == 1


def test_register_gives_every_reason_at_once():
    with pytest.raises(Invalid) as exc:
        organisation_register(
            kind=OrgKind.PROVIDER,
            code="bad code!",
            name="  ",
            edrpou="32855962",
            iban="UA21322313000002600723356600",
        )
    assert [(f, t.split(" ")[0]) for f, t, _v in exc.value.errors] == [
        ("code", "the"),
        ("name", "the"),
        ("edrpou", "EDRPOU"),
        ("iban", "IBAN"),
    ]
    assert str(exc.value) == (
        "the code 'bad code!' must be 1 to 32 Latin letters, digits, '-', '_' or '.', starting with a "
        "letter or digit; the name is empty; EDRPOU 32855962: wrong check digit; "
        "IBAN UA21322313000002600723356600: wrong length"
    )
    assert Organisation.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "reason"),
    [("1234567", "not 8 digits"), ("3285596A", "not 8 digits"), ("32855960", "wrong check digit")],
)
def test_edrpou_checked_with_stdnum(text, reason):
    assert edrpou_clean(" 3285 5961 ") == EDRPOU and edrpou_clean("") == ""
    with pytest.raises(Invalid, match=f"EDRPOU {text}: {reason}"):
        edrpou_clean(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("UA213223130000026007233566002", "wrong check digits"),
        ("UA2132231300000260072335660", "wrong length"),
        ("DE89370400440532013000", "a Ukrainian account starts with UA"),
    ],
)
def test_iban_checked_with_schwifty(text, reason):
    assert iban_clean("ua21 3223 1300 0002 6007 2335 6600 1") == IBAN
    with pytest.raises(Invalid, match=f"IBAN {text}: {reason}"):
        iban_clean(text)


def test_payment_point_has_an_operator_and_a_collecting_iban():
    bank, _ = organisation_register(kind=OrgKind.PAYMENT_OPERATOR, code="OSCHAD", name="Ощадбанк")
    point, _ = organisation_register(
        kind=OrgKind.PAYMENT_POINT, code="P-100", name="Відділення 100", parent=bank, iban=IBAN
    )
    assert (point.parent, point.iban) == (bank, IBAN)
    water, _ = organisation_register(kind=OrgKind.PROVIDER, code="water", name="Водоканал")
    with pytest.raises(Invalid) as exc:
        organisation_register(kind=OrgKind.PAYMENT_POINT, code="P-101", name="x", parent=water)
    assert str(exc.value) == "the operator water is not a payment operator"
    with pytest.raises(Invalid) as exc:
        organisation_update(organisation=water, name="Водоканал", parent=bank, iban=IBAN)
    assert str(exc.value) == (
        "only a payment point or its operator has a collecting account; only a payment point has an operator"
    )
    cashier = user_register(organisation=point, username="kasa", password="kasa-secret-77")
    _token, plain = api_token_create(user=cashier, name="POS")
    organisation_update(organisation=point, name="Відділення № 100", edrpou=EDRPOU, is_active=False)
    assert api_token_authenticate(plain=plain) is None  # a deactivated organisation's tokens are revoked
    point.refresh_from_db()
    assert (point.name, point.edrpou, point.parent, point.iban, point.is_active) == (
        "Відділення № 100",
        EDRPOU,
        None,
        "",
        False,
    )


def test_organisation_require_lists_the_known_codes(make_org):
    make_org(OrgKind.PROVIDER, code="water")
    make_org(OrgKind.PROVIDER, code="heat")
    make_org(OrgKind.HOUSING_OFFICE, code="ZHEK-01")
    assert organisation_require(code=" water ", kind=OrgKind.PROVIDER).code == "water"
    with pytest.raises(UnknownOrganisation) as exc:
        organisation_require(code="watr", kind=OrgKind.PROVIDER)
    assert str(exc.value) == (
        "unknown provider 'watr': known codes are heat, water "
        "(register a new one with `merezha org add --kind provider`)"
    )
    with pytest.raises(UnknownOrganisation, match="^ZHEK-01 is a housing office, not a provider$"):
        organisation_require(code="ZHEK-01", kind=OrgKind.PROVIDER)
    assert Organisation.objects.count() == 3


def test_provider_service_iban(make_org):
    water = make_org(OrgKind.PROVIDER, code="water")
    ps = provider_service_set(provider=water, service_code="water", iban=IBAN)
    assert (ps.service.code, ps.iban) == ("water", IBAN)
    provider_service_set(provider=water, service_code="water", iban="")
    assert list(ProviderService.objects.filter(provider=water).values_list("service__code", "iban")) == [
        ("water", "")
    ]
    with pytest.raises(Invalid) as exc:
        provider_service_set(provider=water, service_code="juice", iban="UA00")
    assert str(exc.value) == "unknown service 'juice': not a network service code; IBAN UA00: not an IBAN"


def test_building_assign_follows_the_import_rule(make_org, sample_streets):
    from merezha.registry.models import Building, Dwelling, Street

    street = Street.objects.order_by("pk").first()
    one, two = make_org(OrgKind.HOUSING_OFFICE, code="Z1"), make_org(OrgKind.HOUSING_OFFICE, code="Z2")
    building = housing_office_building_assign(office=one, street_id=street.pk, house="буд. 12-А")
    assert (building.number, building.key, building.office) == ("12-А", "12а", one)
    assert housing_office_building_assign(office=one, street_id=street.pk, house="12а").pk == building.pk
    Dwelling.objects.create(building=building, apartment="1", apartment_key="1", office=one, office_ref="1")
    with pytest.raises(Invalid) as exc:
        housing_office_building_assign(office=two, street_id=street.pk, house="12 а")
    assert str(exc.value) == "the building is in the register of Z1, which still has 1 dwelling(s) in it"
    Dwelling.objects.update(is_active=False)
    assert housing_office_building_assign(office=two, street_id=street.pk, house="12 а").office == two
    with pytest.raises(Invalid) as exc:
        housing_office_building_assign(office=two, street_id=None, house=" ")
    assert str(exc.value) == "choose a street; the house number is empty"
    assert Building.objects.count() == 1


def test_user_register_takes_the_role_of_the_kind(make_org):
    point = make_org(OrgKind.PAYMENT_POINT, code="P-1")
    user = user_register(
        organisation=point, username="olha", password="kasa-secret-77", full_name="Ольга Касир"
    )
    assert (user.role, user.first_name, user.last_name, user.is_org_admin) == (
        Role.CASHIER,
        "Ольга",
        "Касир",
        False,
    )
    assert user.check_password("kasa-secret-77")
    with pytest.raises(Invalid) as exc:
        user_register(organisation=make_org(OrgKind.PAYMENT_OPERATOR), username="OLHA", password="123")
    fields = [f for f, _t, _v in exc.value.errors]
    assert fields[:2] == ["username", "organisation"] and set(fields[2:]) == {"password"}
    assert "the login OLHA is taken" in str(exc.value)


def test_deactivation_revokes_the_tokens(make_user):
    admin, cashier = make_user(Role.ADMIN), make_user(Role.CASHIER)
    _token, plain = api_token_create(user=cashier, name="POS")
    with pytest.raises(Invalid, match="you cannot deactivate yourself"):
        user_set_active(user=admin, active=False, by=admin)
    user_set_active(user=cashier, active=False, by=admin)
    assert api_token_authenticate(plain=plain) is None
    assert ApiToken.objects.get().revoked_at is not None
    user_set_active(user=cashier, active=True, by=admin)
    assert api_token_authenticate(plain=plain) is None  # its old tokens stay revoked


def test_token_expiry_is_kept_and_enforced(make_user):
    cashier = make_user(Role.CASHIER)
    with pytest.raises(Invalid) as exc:
        api_token_create(user=cashier, name=" ", expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert str(exc.value) == "the token's name is empty; the expiry date must be in the future"
    token, plain = api_token_create(
        user=cashier, name="POS", expires_at=timezone.now() + dt.timedelta(days=30)
    )
    assert api_token_authenticate(plain=plain) == cashier
    token.refresh_from_db()
    assert token.last_used_at is not None
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert api_token_authenticate(plain=plain) is None


def test_rotation_revokes_the_old_token_and_keeps_name_and_lifetime(make_user):
    cashier, admin = make_user(Role.CASHIER), make_user(Role.ADMIN)
    old, old_plain = api_token_create(
        user=cashier, name="POS", expires_at=timezone.now() + dt.timedelta(days=10)
    )
    new, plain = api_token_rotate(token=old, issued_by=admin)
    old.refresh_from_db()
    assert old.revoked_at is not None and new.revoked_at is None
    assert (new.name, new.user, new.issued_by) == ("POS", cashier, admin)
    assert dt.timedelta(days=9, hours=23) < new.expires_at - timezone.now() <= dt.timedelta(days=10)
    assert api_token_authenticate(plain=old_plain) is None and api_token_authenticate(plain=plain) == cashier


def test_who_manages_whose_tokens(make_user, point_staff):
    head, colleague, stranger = point_staff.head, point_staff.colleague, point_staff.stranger
    admin = make_user(Role.ADMIN)
    token, _plain = api_token_create(user=stranger, name="x")
    assert set(user_list_managed(manager=admin)) == {head, colleague, stranger, admin}
    assert set(user_list_managed(manager=head)) == {head, colleague}
    assert list(user_list_managed(manager=colleague)) == []
    assert user_get_managed(manager=head, user_id=stranger.pk) is None
    assert user_get_managed(manager=head, user_id=2**63) is None
    assert api_token_get_managed(manager=head, token_id=token.pk) is None
    assert api_token_get_managed(manager=admin, token_id=token.pk) == token
