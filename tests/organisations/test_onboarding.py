"""The information centre's onboarding pages and the organisation administrator's token pages:
what they do, and that nobody else may use them (403, or 404 for another organisation's user)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from merezha.core.roles import OrgKind, Role
from merezha.organisations.models import ApiToken, Organisation, ProviderService, User
from merezha.organisations.services import api_token_create

pytestmark = pytest.mark.django_db

EDRPOU = "32855961"
IBAN = "UA213223130000026007233566001"


@pytest.fixture
def centre(client, make_user):
    admin = make_user(Role.ADMIN, username="centre")
    client.force_login(admin)
    return client


def plain_token(response) -> str:
    found = re.search(r'<code id="new-token">(mz_[^<]+)</code>', response.content.decode())
    assert found, "no new token on the page"
    return found.group(1)


def test_registering_keeps_what_was_typed_and_shows_every_error_at_once(centre, ukrainian):
    response = centre.post(
        reverse("centre-organisation-new"),
        {"kind": "provider", "code": "водо", "name": "", "edrpou": "32855962", "iban": "UA00"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    errors = dict(re.findall(r'data-field="(\w+)">([^<]+)<', page))
    assert set(errors) == {"code", "name", "edrpou", "iban"}
    assert errors["edrpou"] == "ЄДРПОУ 32855962: неправильна контрольна цифра"
    assert 'value="32855962"' in page and 'value="водо"' in page and 'value="UA00"' in page
    assert not Organisation.objects.filter(kind=OrgKind.PROVIDER).exists()


def test_provider_with_services_and_ibans(centre):
    response = centre.post(
        reverse("centre-organisation-new"),
        {"kind": "provider", "code": "water", "name": "Водоканал", "edrpou": EDRPOU},
    )
    water = Organisation.objects.get(code="water")
    assert response.status_code == 302 and response.url == reverse("centre-organisation", args=[water.pk])
    url = reverse("centre-provider-service", args=[water.pk])
    response = centre.post(url, {"service-service": "water", "service-iban": "UA21322313000002600723356600X"})
    assert response.status_code == 422 and "IBAN UA21322313000002600723356600X" in response.content.decode()
    assert centre.post(url, {"service-service": "water", "service-iban": IBAN.lower()}).status_code == 302
    assert list(ProviderService.objects.values_list("provider__code", "service__code", "iban")) == [
        ("water", "water", IBAN)
    ]
    assert IBAN in centre.get(reverse("centre-organisation", args=[water.pk])).content.decode()


def test_payment_point_with_its_operator_collecting_iban_and_cashier(centre):
    centre.post(
        reverse("centre-organisation-new"), {"kind": "payment_operator", "code": "OSCHAD", "name": "Ощадбанк"}
    )
    bank = Organisation.objects.get(code="OSCHAD")
    centre.post(
        reverse("centre-organisation-new"),
        {
            "kind": "payment_point",
            "code": "P-7",
            "name": "Відділення 7",
            "parent": str(bank.pk),
            "iban": IBAN,
        },
    )
    point = Organisation.objects.get(code="P-7")
    assert (point.parent, point.iban, point.kind) == (bank, IBAN, OrgKind.PAYMENT_POINT)
    response = centre.post(
        reverse("centre-user-new", args=[point.pk]),
        {"user-username": "olha", "user-full_name": "Ольга Касир", "user-password": "kasa-secret-77"},
    )
    olha = User.objects.get(username="olha")
    assert response.status_code == 302 and response.url == reverse("centre-user", args=[olha.pk])
    assert (olha.role, olha.organisation, olha.get_full_name()) == (Role.CASHIER, point, "Ольга Касир")
    # the form edits identifiers; code and kind stay
    response = centre.post(
        reverse("centre-organisation", args=[point.pk]),
        {
            "name": "Відділення № 7",
            "edrpou": "",
            "parent": str(bank.pk),
            "iban": IBAN,
            "address": "вул. Свободи, 1",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    point.refresh_from_db()
    assert (point.code, point.name, point.address) == ("P-7", "Відділення № 7", "вул. Свободи, 1")


def test_housing_office_buildings(centre, sample_streets, make_org):
    from merezha.registry.models import Building, Street

    office = make_org(OrgKind.HOUSING_OFFICE, code="ZHEK-5")
    street = Street.objects.order_by("pk").first()
    url = reverse("centre-office-building", args=[office.pk])
    response = centre.post(url, {"building-street": "", "building-house": ""})
    assert response.status_code == 422
    assert set(re.findall(r'data-field="(\w+)"', response.content.decode())) == {"street", "house"}
    assert centre.post(url, {"building-street": str(street.pk), "building-house": "12-А"}).status_code == 302
    assert list(Building.objects.values_list("office__code", "number")) == [("ZHEK-5", "12-А")]
    assert "12-А" in centre.get(reverse("centre-organisation", args=[office.pk])).content.decode()


def test_user_deactivation_revokes_its_tokens(centre, make_user):
    cashier = make_user(Role.CASHIER)
    _t, plain = api_token_create(user=cashier, name="POS")
    response = centre.post(reverse("centre-user-active", args=[cashier.pk]), {"active": "0"})
    assert response.status_code == 302
    cashier.refresh_from_db()
    assert not cashier.is_active and ApiToken.objects.get().revoked_at is not None
    assert centre.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 401
    centre_user = User.objects.get(username="centre")
    centre.post(reverse("centre-user-active", args=[centre_user.pk]), {"active": "0"})
    centre_user.refresh_from_db()
    assert centre_user.is_active  # nobody deactivates themselves


def test_token_shown_once_listed_rotated_revoked(centre, make_user):
    cashier = make_user(Role.CASHIER)
    response = centre.post(
        reverse("centre-token-issue", args=[cashier.pk]), {"name": "POS", "expires_on": "2099-12-31"}
    )
    assert response.status_code == 200
    plain = plain_token(response)
    token = ApiToken.objects.get()
    assert (token.name, token.user, token.issued_by.username, token.prefix) == (
        "POS",
        cashier,
        "centre",
        plain[:8],
    )
    assert token.expires_at.date().isoformat() in ("2099-12-31", "2100-01-01")
    page = centre.get(reverse("centre-user", args=[cashier.pk])).content.decode()
    assert plain not in page and f"{plain[:8]}…" in page  # listed, never shown again
    assert plain[:8] in centre.get(reverse("centre-tokens")).content.decode()
    me = centre.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert me.status_code == 200 and me.json()["role"] == "cashier"
    response = centre.post(reverse("centre-token-rotate", args=[token.pk]))
    new_plain = plain_token(response)
    assert centre.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 401
    assert centre.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {new_plain}").status_code == 200
    new = ApiToken.objects.get(revoked_at__isnull=True)
    asked = centre.post(reverse("centre-token-revoke", args=[new.pk]))  # it asks first
    assert asked.status_code == 200 and ApiToken.objects.get(pk=new.pk).revoked_at is None
    assert centre.post(reverse("centre-token-revoke", args=[new.pk]), {"confirm": "1"}).status_code == 302
    assert centre.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {new_plain}").status_code == 401


def test_token_form_shows_every_error_at_once(centre, make_user):
    cashier = make_user(Role.CASHIER)
    response = centre.post(
        reverse("centre-token-issue", args=[cashier.pk]), {"name": " ", "expires_on": "31.02.2026"}
    )
    assert response.status_code == 422
    assert set(re.findall(r'data-field="(\w+)"', response.content.decode())) == {"name", "expires_on"}
    response = centre.post(
        reverse("centre-token-issue", args=[cashier.pk]), {"name": "x", "expires_on": "2020-01-01"}
    )
    assert (
        response.status_code == 422 and "the expiry date must be in the future" in response.content.decode()
    )
    assert not ApiToken.objects.exists()


def test_organisation_administrator_manages_its_own_users_tokens_only(client, point_staff):
    head, colleague, stranger = point_staff.head, point_staff.colleague, point_staff.stranger
    stranger_token, _p = api_token_create(user=stranger, name="x")
    client.force_login(head)
    page = client.get(reverse("org-users")).content.decode()
    assert colleague.username in page and stranger.username not in page
    assert 'id="org-users-link"' in client.get(reverse("org-users")).content.decode()
    response = client.post(reverse("org-token-issue", args=[colleague.pk]), {"name": "POS"})
    plain = plain_token(response)
    assert (
        client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}").json()["username"]
        == colleague.username
    )
    token = ApiToken.objects.get(user=colleague)
    assert token.issued_by == head
    plain = plain_token(client.post(reverse("org-token-rotate", args=[token.pk])))
    assert (
        client.post(
            reverse(
                "org-token-revoke", args=[ApiToken.objects.get(user=colleague, revoked_at__isnull=True).pk]
            ),
            {"confirm": "1"},
        ).status_code
        == 302
    )
    # another organisation's user and token: 404
    assert client.get(reverse("org-user", args=[stranger.pk])).status_code == 404
    assert client.post(reverse("org-token-issue", args=[stranger.pk]), {"name": "x"}).status_code == 404
    assert client.post(reverse("org-token-rotate", args=[stranger_token.pk])).status_code == 404
    assert client.post(reverse("org-token-revoke", args=[stranger_token.pk])).status_code == 404
    stranger_token.refresh_from_db()
    assert stranger_token.revoked_at is None


CENTRE_GETS = ["centre-organisations", "centre-organisation-new", "centre-tokens"]


def _centre_urls(org_id: int, user_id: int, token_id: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("centre-organisations")),
        ("get", reverse("centre-organisation-new")),
        ("post", reverse("centre-organisation-new")),
        ("get", reverse("centre-organisation", args=[org_id])),
        ("post", reverse("centre-organisation", args=[org_id])),
        ("post", reverse("centre-provider-service", args=[org_id])),
        ("post", reverse("centre-office-building", args=[org_id])),
        ("post", reverse("centre-user-new", args=[org_id])),
        ("get", reverse("centre-user", args=[user_id])),
        ("post", reverse("centre-user", args=[user_id])),
        ("post", reverse("centre-user-active", args=[user_id])),
        ("post", reverse("centre-token-issue", args=[user_id])),
        ("get", reverse("centre-tokens")),
        ("post", reverse("centre-token-rotate", args=[token_id])),
        ("post", reverse("centre-token-revoke", args=[token_id])),
    ]


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ADMIN])
@pytest.mark.parametrize("org_admin", [False, True])
def test_centre_pages_are_for_the_information_centre_only(client, make_user, role, org_admin):
    target = make_user(Role.PROVIDER)
    token, _p = api_token_create(user=target, name="x")
    user = make_user(role)
    user.is_org_admin = org_admin
    user.save()
    client.force_login(user)
    for method, url in _centre_urls(target.organisation_id, target.pk, token.pk):
        assert getattr(client, method)(url, {"name": "x", "active": "0"}).status_code == 403, (role, url)
    token.refresh_from_db()
    target.refresh_from_db()
    assert token.revoked_at is None and target.is_active and ApiToken.objects.count() == 1


def test_visitors_are_sent_to_login(client, make_user):
    target = make_user(Role.PROVIDER)
    token, _p = api_token_create(user=target, name="x")
    urls = _centre_urls(target.organisation_id, target.pk, token.pk) + [
        ("get", reverse("org-users")),
        ("get", reverse("org-user", args=[target.pk])),
        ("post", reverse("org-token-issue", args=[target.pk])),
        ("post", reverse("org-token-rotate", args=[token.pk])),
        ("post", reverse("org-token-revoke", args=[token.pk])),
    ]
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url


@pytest.mark.parametrize("role", list(Role.values))
def test_organisation_pages_need_an_organisation_administrator(client, make_user, role):
    user = make_user(role)
    token, _p = api_token_create(user=user, name="x")
    client.force_login(user)  # its own organisation, but not its administrator
    for method, url in [
        ("get", reverse("org-users")),
        ("get", reverse("org-user", args=[user.pk])),
        ("post", reverse("org-token-issue", args=[user.pk])),
        ("post", reverse("org-token-rotate", args=[token.pk])),
        ("post", reverse("org-token-revoke", args=[token.pk])),
    ]:
        assert getattr(client, method)(url, {"name": "x"}).status_code == 403, (role, url)
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 1


def test_unknown_objects_answer_404(centre, make_org):
    water = make_org(OrgKind.PROVIDER)
    office = make_org(OrgKind.HOUSING_OFFICE)
    assert centre.get(reverse("centre-organisation", args=[999999])).status_code == 404
    assert centre.get(reverse("centre-user", args=[999999])).status_code == 404
    assert centre.post(reverse("centre-token-revoke", args=[999999])).status_code == 404
    # a service for what is not a provider, a building for what is not an office
    assert (
        centre.post(reverse("centre-provider-service", args=[office.pk]), {"service": "water"}).status_code
        == 404
    )
    assert centre.post(reverse("centre-office-building", args=[water.pk]), {"house": "1"}).status_code == 404


def test_admin_offers_no_token_add(client, make_user):
    admin = make_user(Role.ADMIN)
    api_token_create(user=make_user(Role.CASHIER), name="POS")
    client.force_login(admin)
    assert client.get("/admin/organisations/apitoken/add/").status_code == 403
    for _ in range(2):  # a second add was a 500 (IntegrityError on the empty digest)
        assert (
            client.post("/admin/organisations/apitoken/add/", {"name": "x", "user": admin.pk}).status_code
            == 403
        )
    listing = client.get("/admin/organisations/apitoken/")
    assert listing.status_code == 200 and "/admin/organisations/apitoken/add/" not in listing.content.decode()
    token = ApiToken.objects.get()
    page = client.get(f"/admin/organisations/apitoken/{token.pk}/change/")
    assert page.status_code == 200 and token.digest not in page.content.decode()
    assert ApiToken.objects.count() == 1
