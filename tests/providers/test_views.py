"""The provider's pages: upload, history, one upload, downloads, service aliases, API tokens; who may see them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from merezha.core.roles import OrgKind, Role
from merezha.organisations.models import ApiToken, ServiceAlias
from merezha.organisations.services import api_token_authenticate
from merezha.providers.models import Snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def water_user(make_org, make_user):
    return make_user(Role.PROVIDER, organisation=make_org(OrgKind.PROVIDER, code="water"))


def post_upload(client, path, **fields):
    data = {"period": "2026-10", "payments_through": "2026-10-31"} | fields
    with open(path, "rb") as fh:
        return client.post(reverse("provider-home"), {"file": fh, **data})


def test_upload_history_and_report(client, city, samples, water_user):
    client.force_login(water_user)
    r = post_upload(client, samples / "snapshot-water-2026-10.csv")
    snap = Snapshot.objects.get()
    assert r.status_code == 302 and r.url == reverse("provider-snapshot", args=[snap.pk])
    page = client.get(r.url).content.decode()
    assert 'id="closing-total">177\u202f447,84<' in page  # as people read it; files keep 177447.84
    assert 'id="changes">new: 249, changed: 0, unchanged: 0, closed: 0<' in page  # not `created 249`
    assert '<td title="water">Водопостачання</td>' in page  # a discrepancy's service by name
    assert 'id="unmatched">1<' in page and 'http-equiv="refresh"' not in page
    assert "unknown street: вул. Неіснуюча" in page  # the discrepancy's detail
    home = client.get(reverse("provider-home")).content.decode()
    assert 'id="fig-accounts">249<' in home and 'id="fig-total">177\u202f447,84\u00a0грн<' in home
    assert '<td class="num">177\u202f447,84</td>' in home  # the upload's line in the history
    assert water_user.username in home and "snapshot-water-2026-10.csv" in home
    csv = client.get(reverse("provider-discrepancies", args=[snap.pk, "csv"]))
    assert len(b"".join(csv.streaming_content).decode().splitlines()) == 2
    assert client.get(reverse("provider-discrepancies", args=[snap.pk, "xlsx"])).status_code == 200
    assert client.get(reverse("provider-discrepancies", args=[snap.pk, "pdf"])).status_code == 404


def test_rejected_upload_page_lists_rows(client, city, samples, water_user):
    client.force_login(water_user)
    r = post_upload(client, samples / "snapshot-bad-inconsistent.csv")
    page = client.get(r.url).content.decode()
    assert "61,00" in page and "60,00" in page and '<td class="num">3</td>' in page
    assert 'id="closing-total">—<' in page  # nothing was applied: no total to show
    home = client.get(reverse("provider-home")).content.decode()
    assert '<td class="num">—</td><td class="num">—</td><td class="num">—</td>' in home


def test_pending_upload_page_refreshes(client, water_user):
    snap = Snapshot.objects.create(provider=water_user.organisation, file_name="x.csv")
    client.force_login(water_user)
    assert 'http-equiv="refresh"' in client.get(reverse("provider-snapshot", args=[snap.pk])).content.decode()


def test_running_upload_page_shows_rows_read_and_share_of_the_file(client, water_user):
    from merezha.core.progress import progress_write

    snap = Snapshot.objects.create(
        provider=water_user.organisation, file_name="x.csv", status=Snapshot.Status.RUNNING
    )
    progress_write(key=f"snapshot-{snap.pk}", values={"phase": "reading", "rows": 120000, "percent": 37})
    client.force_login(water_user)
    page = client.get(reverse("provider-snapshot", args=[snap.pk])).content.decode()
    assert '<progress id="progress" max="100" value="37">' in page
    assert "reading and checking the rows · 120\u202f000 rows read · about 37% of the file" in page
    assert 'http-equiv="refresh"' in page


def test_running_upload_progress_is_in_ukrainian(client, water_user, ukrainian):
    from merezha.core.progress import progress_write

    snap = Snapshot.objects.create(
        provider=water_user.organisation, file_name="x.csv", status=Snapshot.Status.RUNNING
    )
    progress_write(key=f"snapshot-{snap.pk}", values={"phase": "merging", "rows": 600002, "percent": 99})
    client.force_login(water_user)
    page = client.get(reverse("provider-snapshot", args=[snap.pk])).content.decode()
    assert "заміна ваших рахунків · прочитано 600\u202f002 рядки" in page and "файлу" not in page


def test_bad_form_is_400_and_creates_nothing(client, city, samples, water_user):
    client.force_login(water_user)
    r = post_upload(client, samples / "snapshot-water-2026-10.csv", period="2026-13")
    assert r.status_code == 400 and Snapshot.objects.count() == 0


def test_other_provider_gets_404(client, city, samples, water_user, make_org, make_user):
    client.force_login(water_user)
    post_upload(client, samples / "snapshot-water-2026-10.csv")
    snap = Snapshot.objects.get()
    client.force_login(make_user(Role.PROVIDER, organisation=make_org(OrgKind.PROVIDER, code="heat")))
    assert client.get(reverse("provider-snapshot", args=[snap.pk])).status_code == 404
    assert client.get(reverse("provider-discrepancies", args=[snap.pk, "csv"])).status_code == 404
    assert "snapshot-water-2026-10.csv" not in client.get(reverse("provider-home")).content.decode()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.HOUSING, Role.SUBSIDY, Role.CASHIER, Role.MANAGER])
def test_other_roles_get_403(client, water_user, make_user, role):
    snap = Snapshot.objects.create(provider=water_user.organisation, file_name="x.csv")
    client.force_login(make_user(role))
    for url in (
        reverse("provider-home"),
        reverse("provider-snapshot", args=[snap.pk]),
        reverse("provider-discrepancies", args=[snap.pk, "csv"]),
        reverse("provider-tokens"),
        reverse("provider-services"),
    ):
        assert client.get(url).status_code == 403, url
    alias = ServiceAlias.objects.create(
        provider=water_user.organisation, alias="ХВП", service_id=_service("water")
    )
    assert (
        client.post(reverse("provider-services"), {"alias": "ГВП", "service": "hot_water"}).status_code == 403
    )
    assert client.post(reverse("provider-service-alias-remove", args=[alias.pk])).status_code == 403
    assert list(ServiceAlias.objects.values_list("alias", flat=True)) == ["ХВП"]


@pytest.mark.parametrize("name", ["provider-tokens", "provider-services"])
def test_visitor_is_sent_to_login(client, name):
    r = client.get(reverse(name))
    assert r.status_code == 302 and r.url.startswith(reverse("login"))


def _service(code):
    from merezha.organisations.models import Service

    return Service.objects.get(code=code).pk


def test_services_page_adds_lists_and_removes_aliases(client, water_user):
    client.force_login(water_user)
    page = client.get(reverse("provider-services"))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<td title="water">Водопостачання</td>' in html and reverse("provider-services") in html
    r = client.post(reverse("provider-services"), {"alias": " ХВП ", "service": "water"})
    assert r.status_code == 302 and r.url == reverse("provider-services")
    alias = ServiceAlias.objects.get()
    assert (alias.provider, alias.alias, alias.service.code) == (water_user.organisation, "ХВП", "water")
    html = client.get(reverse("provider-services")).content.decode()
    assert "Alias ХВП added." in html
    row = html.split('<td title="water">')[1].split("</tr>")[0]
    assert "<code>ХВП</code>" in row and reverse("provider-service-alias-remove", args=[alias.pk]) in row
    r = client.post(reverse("provider-service-alias-remove", args=[alias.pk]))
    assert r.status_code == 302 and r.url == reverse("provider-services")
    assert not ServiceAlias.objects.exists()
    assert "Alias removed." in client.get(reverse("provider-services")).content.decode()
    assert client.get(reverse("provider-service-alias-remove", args=[alias.pk])).status_code == 405


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"alias": "хвп", "service": "water"}, "you already have the alias &#x27;ХВП&#x27;"),
        (
            {"alias": "HEAT", "service": "water"},
            "&#x27;HEAT&#x27; is a network service code: it needs no alias",
        ),
        ({"alias": "   ", "service": "water"}, "This field is required."),
        ({"alias": "ГВП", "service": "milk"}, "Select a valid choice."),
        ({"alias": "Г" * 65, "service": "water"}, "Ensure this value has at most 64 characters"),
    ],
)
def test_services_page_refuses_a_bad_alias_with_400(client, water_user, data, error):
    ServiceAlias.objects.create(provider=water_user.organisation, alias="ХВП", service_id=_service("water"))
    client.force_login(water_user)
    r = client.post(reverse("provider-services"), data)
    assert r.status_code == 400 and error in r.content.decode()
    assert list(ServiceAlias.objects.values_list("alias", flat=True)) == ["ХВП"]


def test_services_page_in_ukrainian_gives_the_refusal_in_ukrainian(client, water_user, ukrainian):
    client.force_login(water_user)
    r = client.post(reverse("provider-services"), {"alias": "Water", "service": "water"})
    assert r.status_code == 400
    assert "&#x27;Water&#x27; — код послуги мережі: псевдонім для нього не потрібен" in r.content.decode()
    assert "Послуги та псевдоніми" in r.content.decode()


def test_another_providers_alias_is_404_and_not_shown(client, water_user, make_org, make_user):
    alias = ServiceAlias.objects.create(
        provider=water_user.organisation, alias="ХВП", service_id=_service("water")
    )
    client.force_login(make_user(Role.PROVIDER, organisation=make_org(OrgKind.PROVIDER, code="heat")))
    assert "ХВП" not in client.get(reverse("provider-services")).content.decode()
    assert client.post(reverse("provider-service-alias-remove", args=[alias.pk])).status_code == 404
    assert client.post(reverse("provider-service-alias-remove", args=[2**63])).status_code == 404
    assert ServiceAlias.objects.filter(pk=alias.pk).exists()


def test_tokens_create_once_and_revoke(client, water_user, make_user):
    client.force_login(water_user)
    page = client.post(reverse("provider-tokens"), {"name": "nightly"}).content.decode()
    token = ApiToken.objects.get(user=water_user)
    plain = page.split('id="new-token">')[1].split("<")[0]
    assert api_token_authenticate(plain=plain) == water_user
    assert plain not in client.get(reverse("provider-tokens")).content.decode()
    other = make_user(Role.PROVIDER, organisation=water_user.organisation)
    client.force_login(other)
    assert client.post(reverse("provider-token-revoke", args=[token.pk])).status_code == 404
    client.force_login(water_user)
    asked = client.post(reverse("provider-token-revoke", args=[token.pk]))  # it asks first
    assert asked.status_code == 200 and 'name="confirm" value="1"' in asked.content.decode()
    assert api_token_authenticate(plain=plain) == water_user
    assert client.post(reverse("provider-token-revoke", args=[token.pk]), {"confirm": "1"}).status_code == 302
    assert api_token_authenticate(plain=plain) is None


def test_admin_lists_snapshots_read_only(client, city, samples, water_user, django_user_model, ukrainian):
    client.force_login(water_user)
    post_upload(client, samples / "snapshot-water-2026-10.csv")
    admin = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(admin)
    page = client.get("/admin/providers/snapshot/")
    assert page.status_code == 200 and 'field-closing_total">177447,84<' in page.content.decode()
    assert client.get("/admin/providers/snapshot/add/").status_code == 403


def test_snapshot_page_in_ukrainian_says_what_the_import_did(client, city, samples, water_user, ukrainian):
    client.force_login(water_user)
    r = post_upload(client, samples / "snapshot-water-2026-10.csv")
    page = client.get(r.url).content.decode()
    assert 'id="changes">нові: 249, змінені: 0, без змін: 0, закриті: 0<' in page
    # the discrepancy's detail, which the report and the files keep in English
    assert "адресу не знайдено в реєстрі: невідома вулиця: вул. Неіснуюча</td>" in page
    assert "unknown street" not in page and "unmatched addresses" not in page


def test_rejected_rows_page_in_ukrainian_gives_the_reasons_in_ukrainian(
    client, city, samples, water_user, ukrainian
):
    client.force_login(water_user)
    r = post_upload(client, samples / "snapshot-bad-inconsistent.csv")
    page = client.get(r.url).content.decode()
    assert (
        "<td>сальдо на кінець 61,00 не випливає зі стовпців періоду: сальдо на початок + нараховано + "
        "перерахунок − пільга − субсидія − оплачено = 60,00</td>"
    ) in page
    # the API keeps the exchange's English reason
    snap = Snapshot.objects.get()
    assert snap.report["errors"][0]["reason"].startswith("closing 61.00 does not follow")


def test_a_report_that_kept_some_of_its_rejected_rows_says_how_many_it_shows(client, water_user):
    client.force_login(water_user)
    errors = [{"line": n, "column": "account", "reason": "required value is empty"} for n in range(2, 1002)]
    snap = Snapshot.objects.create(
        provider=water_user.organisation,
        status=Snapshot.Status.REJECTED,
        rows_rejected=3_000_000,
        report={"errors": errors, "errors_total": 3_000_000},
    )
    page = client.get(reverse("provider-snapshot", args=[snap.pk])).content.decode()
    assert page.count("<td>account</td>") == 200
    assert (
        '<p class="muted" id="errors-shown">200 of 3\u202f000\u202f000 shown · the API gives the first 1\u202f000</p>'
        in page
    )


def test_a_failed_or_rerun_upload_says_the_worker_stopped(client, water_user, ukrainian):
    client.force_login(water_user)
    failed = Snapshot.objects.create(
        provider=water_user.organisation,
        status=Snapshot.Status.FAILED,
        report={"applied": False, "errors": [], "failure": "the worker stopped", "attempts": 2},
    )
    page = client.get(reverse("provider-snapshot", args=[failed.pk])).content.decode()
    assert '<p class="bad">обробник зупинився</p>' in page
    assert "Запущено 2 рази" in page
