"""The information centre's onboarding walk in a real browser, as docs/how-to/information-centre.md
tells it, on a fresh demo-like database (streets, two housing offices' registers, the centre):

the centre registers a provider with its ЄДРПОУ and a service's IBAN, the provider's snapshot is
applied (`merezha import-snapshot`), the centre registers a payment operator, a payment point with
its operator and collecting IBAN, and the point's cashier; it issues the cashier a token, and that
token takes a payment through `POST /api/v1/payments`, as a cashier's POS system does.
"""

from __future__ import annotations

import io
import json
import re
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

from merezha.core.roles import OrgKind, Role
from merezha.organisations.models import Organisation, ProviderService, User
from merezha.organisations.services import organisation_create, service_ensure, user_create
from merezha.payments.models import Payment

pytestmark = pytest.mark.django_db(transaction=True)

SAMPLES = Path(__file__).parent.parent / "fixtures" / "samples"
IBAN_WATER = "UA213223130000026007233566001"
IBAN_POINT = "UA903052992990004149123456789"


@pytest.fixture
def demo_like():
    # the network services of migration 0002: an earlier transactional test's flush took them away
    from importlib import import_module

    for code, name in import_module("merezha.organisations.migrations.0002_network_services").SERVICES:
        service_ensure(code=code, name=name)
    call_command("import-streets", str(SAMPLES / "streets.csv"), stdout=io.StringIO())
    for code in ("ZHEK-01", "ZHEK-02"):
        call_command(
            "org", "add", "--kind", "housing-office", "--code", code, "--name", code, stdout=io.StringIO()
        )
    call_command(
        "import-registry", "--office", "ZHEK-01", str(SAMPLES / "registry-ZHEK-01.csv"), stdout=io.StringIO()
    )
    call_command(
        "import-registry", "--office", "ZHEK-02", str(SAMPLES / "registry-ZHEK-02.dbf"), stdout=io.StringIO()
    )
    centre = organisation_create(code="IC", name="Інформаційний центр", kind=OrgKind.INFO_CENTRE)
    user_create(username="admin", password="centre-pw-1", organisation=centre, role=Role.ADMIN)


def api(
    base: str, method: str, path: str, token: str, body: dict | None = None, key: str = ""
) -> tuple[int, object]:
    request = urllib.request.Request(
        f"{base}/api/v1{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        | ({"Idempotency-Key": key} if key else {}),
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def register(page, **fields: str) -> None:
    page.goto("/centre/organisations/")
    page.click("#new-organisation")
    for name, value in fields.items():
        if name == "kind":
            page.select_option("#id_kind", value)
        elif name == "parent":  # the operator, chosen by its code
            page.select_option("#id_parent", str(Organisation.objects.get(code=value).pk))
        else:
            page.fill(f"#id_{name}", value)
    page.click("#organisation-form button[type=submit]")
    page.wait_for_url(re.compile(r"/centre/organisations/\d+/$"))


def test_centre_registers_provider_point_cashier_and_the_cashier_token_pays(demo_like, page, live_server):
    page.goto("/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "centre-pw-1")
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(r"/centre/$"))
    page.click("text=Organisations")
    page.wait_for_url(re.compile(r"/centre/organisations/$"))

    # a provider, first with a mistyped ЄДРПОУ: every error at once, what was typed kept
    page.click("#new-organisation")
    page.select_option("#id_kind", "provider")
    page.fill("#id_code", "water")
    page.fill("#id_edrpou", "32855962")
    page.click("#organisation-form button[type=submit]")
    errors = page.locator(".error")
    assert sorted(e.get_attribute("data-field") for e in errors.all()) == ["edrpou", "name"]
    assert page.input_value("#id_code") == "water" and page.input_value("#id_edrpou") == "32855962"
    page.fill("#id_name", "КП «Водоканал»")
    page.fill("#id_edrpou", "32855961")
    page.click("#organisation-form button[type=submit]")
    page.wait_for_url(re.compile(r"/centre/organisations/\d+/$"))
    # its service and the IBAN payments for it go to
    page.select_option("#id_service-service", "water")
    page.fill("#id_service-iban", IBAN_WATER)
    page.click("#service-form button[type=submit]")
    page.wait_for_url(re.compile(r"/centre/organisations/\d+/$"))
    assert IBAN_WATER in page.locator("#services").inner_text()
    water = Organisation.objects.get(code="water")
    assert (water.kind, water.edrpou) == (OrgKind.PROVIDER, "32855961")
    assert list(ProviderService.objects.values_list("service__code", "iban")) == [("water", IBAN_WATER)]

    # the provider's snapshot (the provider uploads it, or the centre applies it: the how-to's step)
    call_command(
        "import-snapshot", "--provider", "water", "--period", "2026-10", "--payments-through", "2026-10-31",
        "--accept-partial", str(SAMPLES / "snapshot-water-2026-10.csv"), stdout=io.StringIO(),
    )  # fmt: skip

    # a payment operator, and a payment point with its operator and collecting IBAN
    register(page, kind="payment_operator", code="OSCHAD", name="АТ «Ощадбанк»")
    register(
        page,
        kind="payment_point",
        code="P-7",
        name="Ощадбанк, відділення № 7",
        parent="OSCHAD",
        iban=IBAN_POINT,
    )
    point = Organisation.objects.get(code="P-7")
    assert (point.parent.code, point.iban) == ("OSCHAD", IBAN_POINT)

    # its cashier
    page.fill("#id_user-username", "olha")
    page.fill("#id_user-full_name", "Ольга Касир")
    page.fill("#id_user-password", "kasa-secret-77")
    page.click("#user-form button[type=submit]")
    page.wait_for_url(re.compile(r"/centre/users/\d+/$"))
    olha = User.objects.get(username="olha")
    assert (olha.role, olha.organisation) == (Role.CASHIER, point)

    # the cashier's token, shown once
    page.fill("#id_name", "POS каси № 1")
    page.fill("#id_expires_on", "2099-12-31")
    page.click("#token-form button[type=submit]")
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("mz_")
    page.reload()
    assert token not in page.content() and token[:8] in page.locator("#tokens").inner_text()

    # the POS system: find the dwelling by an account number, read its debts, take a payment
    base = live_server.url
    status, hits = api(base, "GET", "/search?q=W00000001w", token)
    assert status == 200 and hits, hits
    status, accounts = api(base, "GET", f"/dwellings/{hits[0]['dwelling_id']}/accounts", token)
    assert status == 200
    account = next(a for a in accounts if a["account"] == "W00000001w")
    status, payment = api(
        base, "POST", "/payments", token,
        {"lines": [{"account_id": account["account_id"], "amount": "120.50"}], "method": "cash", "tendered": "200"},
        key="pos-1-0001",
    )  # fmt: skip
    assert status == 201, payment
    assert (payment["point"], payment["cashier"], payment["total"], payment["change"]) == (
        "P-7",
        "olha",
        "120.50",
        "79.50",
    )
    assert [(line["provider"], line["account"], line["amount"]) for line in payment["lines"]] == [
        ("water", "W00000001w", "120.50")
    ]
    assert Payment.objects.get().point == point
    # the token is limited to a cashier's routes
    assert api(base, "GET", "/snapshots", token)[0] == 403
