"""Every demo role lands on its own home page; everyone else gets 403, visitors the login page."""

import pytest
from django.urls import reverse

from merezha.core.roles import Role
from merezha.organisations.views import ROLE_HOME

pytestmark = pytest.mark.django_db


def test_login_page_is_ukrainian(client, ukrainian):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'lang="uk"' in response.content.decode()
    assert "Увійти" in response.content.decode()


def test_visitor_is_sent_to_login(client):
    assert client.get("/").url == reverse("login")
    response = client.get(reverse("desk-home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", list(Role.values))
def test_each_role_lands_on_its_home(client, make_user, role):
    user = make_user(role)
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 302 and response.url == reverse(ROLE_HOME[role])
    assert client.get(response.url).status_code == 200
    for other, name in ROLE_HOME.items():
        if other != role:
            assert client.get(reverse(name)).status_code == 403, (role, name)


def test_login_with_password(client, make_user):
    make_user(Role.CASHIER, username="kasa")
    response = client.post(reverse("login"), {"username": "kasa", "password": "pw-123456"})
    assert response.status_code == 302
    assert client.get(response.url, follow=True).request["PATH_INFO"] == reverse("desk-home")


def test_english_available(client, make_user):
    client.force_login(make_user(Role.HOUSING))
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Housing office" in client.get(reverse("housing-home")).content.decode()


def test_admin_site_is_ukrainian_and_for_the_information_centre_only(client, make_user, ukrainian):
    client.force_login(make_user(Role.CASHIER))
    assert client.get("/admin/").status_code == 302  # not staff: sent to the admin login
    client.force_login(make_user(Role.ADMIN))
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "Адміністрування" in page.content.decode()


def test_information_centre_home_links_its_tools(client, make_user):
    client.force_login(make_user(Role.ADMIN))
    page = client.get(reverse("centre-home")).content.decode()
    for name in (
        "admin:index",
        "registers-reconciliation",
        "settlement-reconciliation",
        "subsidy-rule",
        "debtors-export",
        "inbox",
    ):
        assert f'href="{reverse(name)}"' in page


def test_ukrainian_whatever_the_browser_says_until_the_user_chooses(client, make_user, ukrainian):
    client.force_login(make_user(Role.HOUSING))
    page = client.get(reverse("housing-home"), headers={"Accept-Language": "en-US,en;q=0.9"})
    assert page["Content-Language"] == "uk"
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert client.get(reverse("housing-home"))["Content-Language"] == "en"


def test_admin_shows_a_provider_s_aliases_but_adds_none(client, make_user, make_org):
    """Aliases are added where the rules are kept (the provider's page and API), not in the admin."""
    from merezha.core.roles import OrgKind
    from merezha.organisations.services import service_alias_add, service_ensure

    provider = make_org(OrgKind.PROVIDER, code="water")
    service_ensure(code="water", name="Водопостачання")
    service_alias_add(provider=provider, alias="ХВП", service_code="water")
    client.force_login(make_user(Role.ADMIN))
    page = client.get(reverse("admin:organisations_organisation_change", args=[provider.pk])).content.decode()
    assert "ХВП" in page
    assert 'name="service_aliases-0-alias"' not in page  # read-only
    assert 'id="service_aliases-empty"' not in page  # no form for a new one


def test_city_home_pages_show_the_city_wide_figures(client, make_user, make_org, ukrainian):
    from merezha.organisations.selectors import organisation_count

    make_org("provider", code="VODO")
    for role, name in ((Role.ADMIN, "centre-home"), (Role.MANAGER, "manager-home")):
        client.force_login(make_user(role))
        page = client.get(reverse(name)).content.decode()
        assert f'<th>Організації</th><td class="num">{organisation_count()}</td>' in page
        assert '<th>Житло</th><td class="num">0</td>' in page


def test_city_home_pages_refuse_other_roles(client, make_user):
    for role, name in ((Role.CASHIER, "centre-home"), (Role.PROVIDER, "manager-home")):
        client.force_login(make_user(role))
        assert client.get(reverse(name)).status_code == 403


def test_city_home_figures_are_grouped_by_thousands(client, make_user, ukrainian, monkeypatch):
    from merezha.registry.selectors import RegisterCounts

    monkeypatch.setattr(
        "merezha.views.register_counts",
        lambda: RegisterCounts(streets=214, dwellings=12022, residents=1049000),
    )
    client.force_login(make_user(Role.ADMIN))
    page = client.get(reverse("centre-home")).content.decode()
    assert '<th>Вулиці</th><td class="num">214</td>' in page
    assert '<th>Житло</th><td class="num">12\u202f022</td>' in page
    assert '<th>Зареєстровані мешканці</th><td class="num">1\u202f049\u202f000</td>' in page
