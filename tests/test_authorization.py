"""Who may call what, for every route: generated from the URL conf and the OpenAPI schema.

Every page (a walk of the URL resolver, without the Django admin, the language switch and static
files) and every API operation (`/api/v1/openapi.json`) must be declared in `PAGES` or `API` below:
the roles that may call it, or PUBLIC. Each route is then called as each role and as an anonymous
visitor:

* a role that may not call it gets 403 or 404 (a page sends a visitor to the login page; the API
  answers a request without a token 401);
* a role that may call it gets none of those;
* `own=`: roles that may call it only for their own organisation's objects. The path names an object
  of ANOTHER organisation (another point's payment, another provider's snapshot, another office's
  dwelling or certificate), so these roles must get 403 or 404 too, while the roles that see every
  organisation (the information centre) are served.

A route that is not declared fails `test_every_route_is_declared`: declare it, with who may call it.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from merezha.core.roles import OrgKind, Role

PUBLIC = "public"
#: a resident's page: for every identity of this test (none holds a resident's session), a redirect
#: to the resident's sign-in page
RESIDENT = "resident"
ANONYMOUS = "anonymous"
IDENTITIES = [Role.ADMIN, Role.PROVIDER, Role.HOUSING, Role.SUBSIDY, Role.CASHIER, Role.MANAGER, ANONYMOUS]
EVERY_ROLE = tuple(Role.values)
#: URL prefixes the walk leaves out: Django's admin (its own staff check), the language switch,
#: static files, and the API (checked operation by operation from its schema)
SKIPPED = ("admin/", "i18n/", "static/", "api/")


@dataclass(frozen=True)
class Access:
    roles: tuple[str, ...]
    own: tuple[str, ...] = ()
    method: str = "GET"
    #: form fields (pages), JSON body or multipart fields (API); "FILE" is replaced by a small file
    data: dict[str, Any] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)


def A(*roles: str, own: tuple[str, ...] = (), method: str = "GET", **kwargs: Any) -> Access:
    return Access(roles=roles, own=own, method=method, **kwargs)


C, P, H, S, M, AD = Role.CASHIER, Role.PROVIDER, Role.HOUSING, Role.SUBSIDY, Role.MANAGER, Role.ADMIN
ON = {"date": "2026-11-15", "family_type": "regular"}
SETTLE = {"day": "2026-11-02", "provider": "heat-other"}

#: every page, by URL name
PAGES: dict[str, Access] = {
    "home": A(PUBLIC),  # the role's home, or the login page
    "login": A(PUBLIC),
    "logout": A(PUBLIC, method="POST"),
    "site-icon": A(PUBLIC),
    "certificate-verify-form": A(PUBLIC),
    "certificate-verify": A(PUBLIC),
    "inbox": A(*EVERY_ROLE),
    "inbox-acknowledge": A(*EVERY_ROLE, own=EVERY_ROLE, method="POST"),
    "centre-home": A(AD),
    "manager-home": A(M),
    "desk-home": A(C),
    "desk-search": A(C, query={"q": "Коваленко"}),
    "desk-dwelling": A(C),  # any dwelling of the city
    "desk-pay": A(C, method="POST"),
    "desk-receipt": A(C, own=(C,)),
    "desk-receipt-pdf": A(C, own=(C,)),
    "desk-cancel": A(C, own=(C,), method="POST", data={"reason": "помилка"}),
    "desk-shift": A(C),
    "desk-shift-pdf": A(C),
    "desk-close-day": A(C, method="POST"),
    "provider-home": A(P),
    "provider-snapshot": A(P, own=(P,)),
    "provider-discrepancies": A(P, own=(P,)),
    "provider-services": A(P),
    "provider-service-alias-remove": A(P, own=(P,), method="POST"),
    "provider-tokens": A(P),
    "provider-token-revoke": A(P, own=(P,), method="POST"),
    "registers-reconciliation": A(AD),
    "subsidy-home": A(S),
    "subsidy-household": A(S, AD),  # any household of the city
    "subsidy-certificate-issue": A(S, method="POST", data=ON),
    "subsidy-exemption-add": A(S, method="POST"),
    "subsidy-certificate-pdf": A(S, AD, own=(S,)),
    "subsidy-batch-checks": A(S, AD),
    "subsidy-batch-check": A(S, AD, own=(S,)),
    "subsidy-batch-check-file": A(S, AD, own=(S,)),
    "subsidy-decisions": A(S, AD),
    "subsidy-decision-new": A(S),
    "subsidy-decision-upload": A(S, method="POST"),
    "subsidy-decision": A(S, AD, own=(S,)),
    "subsidy-decision-part": A(P, own=(P,)),
    "subsidy-rule": A(AD),
    "housing-home": A(H),
    "housing-dwelling": A(H, own=(H,)),
    "housing-register": A(H, own=(H,), method="POST"),
    "housing-area": A(H, own=(H,), method="POST"),
    "housing-cert-family": A(H, own=(H,), method="POST"),
    "housing-cert-payments": A(H, own=(H,), method="POST"),
    "housing-deregister": A(H, own=(H,), method="POST"),
    "housing-relation": A(H, own=(H,), method="POST"),
    "housing-benefit": A(H, own=(H,), method="POST"),
    "housing-absence": A(H, own=(H,), method="POST"),
    "housing-report-debt": A(H),
    "housing-report-debtors": A(H),
    "housing-report-beneficiaries": A(H),
    "housing-report-recalculation": A(H),
    "housing-report-anomalies": A(H),
    "housing-report-charts": A(H),
    "housing-change-reports": A(H),
    "housing-change-report-download": A(H, own=(H,)),
    "debtors-export": A(AD, M, H),
    "provider-change-reports": A(P),
    "provider-change-report-download": A(P, own=(P,)),
    "audit-log": A(AD),
    "audit-export": A(AD),
    # the information centre's onboarding (organisations, services' IBANs, buildings, users, tokens)
    "centre-organisations": A(AD),
    "centre-organisation-new": A(AD),
    "centre-organisation": A(AD),
    "centre-provider-service": A(AD),
    "centre-office-building": A(AD),
    "centre-user-new": A(AD),
    "centre-user": A(AD),
    "centre-user-active": A(AD, method="POST"),
    "centre-token-issue": A(AD, method="POST"),
    "centre-tokens": A(AD),
    "centre-token-rotate": A(AD, method="POST"),
    "centre-token-revoke": A(AD, method="POST"),
    # an organisation's own administrator (`User.is_org_admin`, whatever the role): no user of this
    # world is one, so every identity is refused (tests/organisations lets one in)
    "org-users": A(),
    "org-user": A(),
    "org-token-issue": A(method="POST"),
    "org-token-rotate": A(method="POST"),
    "org-token-revoke": A(method="POST"),
    # the exchange: inbox documents opened and downloaded by their recipient, the scheduler's jobs,
    # the monitor and charts, an organisation's webhook
    "inbox-document": A(*EVERY_ROLE, own=EVERY_ROLE),
    "inbox-document-file": A(*EVERY_ROLE, own=EVERY_ROLE),
    "exchange-jobs": A(AD),
    "exchange-monitor": A(AD, M),
    "exchange-monitor-csv": A(AD, M),
    "exchange-charts": A(AD, M),
    "exchange-webhook": A(P, H, S, C),
    # settlement: the information centre sees every provider's, a provider its own (another's 404)
    "settlement-reconciliation": A(AD, P, own=(P,), query=SETTLE),
    "settlement-xlsx": A(AD, P, own=(P,), query=SETTLE),
    "settlement-statement-upload": A(AD, P, method="POST"),
    "settlement-terms": A(AD),
    # the unified bill and its batches: a housing office its own dwellings' and batches, the centre any
    "portal-housing-bill": A(H, own=(H,)),
    "portal-code-rotate": A(H, own=(H,), method="POST"),
    "portal-batches": A(H, AD),
    "portal-batch-status": A(H, AD, own=(H,)),  # a whole-city batch: the centre's
    "portal-batch-download": A(H, AD, own=(H, AD)),  # the batch has no file yet: 404 for everyone
    # the resident's pages: a resident's own session (tests/portal), never a staff login; every
    # identity here is sent to the resident's sign-in page
    "resident-sign-in": A(PUBLIC),
    "resident-sign-out": A(PUBLIC, method="POST"),
    "resident-home": A(RESIDENT),
    "resident-payments": A(RESIDENT),
    "resident-looks": A(RESIDENT),
    "resident-certificate": A(RESIDENT, method="POST"),
    "resident-bill": A(RESIDENT),
}

DECISION = {
    "decision": "D-1",
    "tax_id": "1779483742",
    "period_from": "2026-11",
    "period_to": "2027-04",
    "lines": [{"service": "water", "monthly_amount": "100.00"}],
}

#: every API operation, by (method, path as the schema writes it)
API: dict[tuple[str, str], Access] = {
    ("GET", "/api/v1/me"): A(*EVERY_ROLE),
    ("GET", "/api/v1/inbox"): A(*EVERY_ROLE),
    ("GET", "/api/v1/inbox/{document_id}"): A(*EVERY_ROLE, own=EVERY_ROLE),
    ("POST", "/api/v1/inbox/{document_id}/acknowledge"): A(*EVERY_ROLE, own=EVERY_ROLE),
    ("GET", "/api/v1/registry/streets"): A(*EVERY_ROLE),
    ("GET", "/api/v1/registry/match"): A(AD, P, H, S, query={"street": "Свободи", "house": "12"}),
    ("POST", "/api/v1/registry/uploads"): A(H, data={"file": "FILE"}),
    ("POST", "/api/v1/snapshots"): A(P, data={"file": "FILE"}),
    ("GET", "/api/v1/snapshots"): A(P),
    ("GET", "/api/v1/snapshots/{snapshot_id}"): A(P, own=(P,)),
    ("GET", "/api/v1/snapshots/{snapshot_id}/discrepancies"): A(P, own=(P,)),
    ("GET", "/api/v1/service-aliases"): A(P),
    ("POST", "/api/v1/service-aliases"): A(P, data={"alias": "вода", "service": "water"}),
    ("DELETE", "/api/v1/service-aliases/{alias_id}"): A(P, own=(P,)),
    ("POST", "/api/v1/payments"): A(C, data={"lines": [], "method": "cash"}),
    ("GET", "/api/v1/payments/{payment_id}"): A(C, own=(C,)),
    ("POST", "/api/v1/payments/{payment_id}/cancel"): A(C, own=(C,), data={"reason": "помилка"}),
    ("GET", "/api/v1/dwellings/{dwelling_id}/accounts"): A(C, S, AD),
    ("POST", "/api/v1/days/{day}/close"): A(C),
    ("GET", "/api/v1/registers"): A(P),
    ("GET", "/api/v1/registers/{number}"): A(P, own=(P,)),
    ("GET", "/api/v1/registers/{number}/file"): A(P, own=(P,)),
    ("POST", "/api/v1/registers/{number}/acknowledge"): A(P, own=(P,)),
    ("GET", "/api/v1/reconciliation"): A(AD, query={"day_from": "2026-11-01"}),
    ("GET", "/api/v1/subsidy/debt-status"): A(S, AD, query={"dwelling_id": "DWELLING"}),
    ("POST", "/api/v1/subsidy/certificates"): A(S, data={"dwelling_id": "DWELLING"}),
    ("GET", "/api/v1/subsidy/certificates/{number}/pdf"): A(S, AD, own=(S,)),
    ("POST", "/api/v1/subsidy/batch-checks"): A(S, data={"file": "FILE"}),
    ("GET", "/api/v1/subsidy/batch-checks"): A(S, AD),
    ("GET", "/api/v1/subsidy/batch-checks/{check_id}"): A(S, AD, own=(S,)),
    ("GET", "/api/v1/subsidy/batch-checks/{check_id}/file"): A(S, AD, own=(S,)),
    ("POST", "/api/v1/subsidy/decisions"): A(S, data=DECISION),
    ("GET", "/api/v1/subsidy/decisions"): A(S, AD),
    ("POST", "/api/v1/subsidy/decisions/upload"): A(S, data={"file": "FILE"}),
    ("GET", "/api/v1/subsidy/decisions/{decision_id}"): A(S, AD, own=(S,)),
    ("GET", "/api/v1/subsidy/decisions/{decision_id}/part"): A(P, own=(P,)),
    ("GET", "/api/v1/search"): A(C, query={"q": "Коваленко"}),
    ("GET", "/api/v1/change-reports"): A(P),
    ("GET", "/api/v1/change-reports/{report_id}"): A(P, own=(P,)),
    ("GET", "/api/v1/exchange/jobs"): A(AD),
    ("GET", "/api/v1/exchange/monitor"): A(AD, M),
    ("GET", "/api/v1/bills/lines"): A(P),
    ("GET", "/api/v1/settlement/orders"): A(AD, P, own=(P,), query=SETTLE),
    ("GET", "/api/v1/settlement/orders/file"): A(AD, P, own=(P,), query=SETTLE),
    ("POST", "/api/v1/settlement/statements"): A(AD, P, data={"file": "FILE"}),
    ("GET", "/api/v1/settlement/reconciliation"): A(AD, P, own=(P,), query=SETTLE),
    ("GET", "/api/v1/settlement/reconciliation.xlsx"): A(AD, P, own=(P,), query=SETTLE),
}


# --- what the routes are --------------------------------------------------------------------------


def _walk(patterns: list[Any], prefix: str = "") -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for p in patterns:
        route = prefix + str(p.pattern)
        if route.startswith(SKIPPED):
            continue
        if isinstance(p, URLResolver):
            found += _walk(p.url_patterns, route)
        else:
            found.append((route, p))
    return found


def page_routes() -> dict[str, list[str]]:
    """URL name → its path parameters, for every page of the URL conf."""
    routes: dict[str, list[str]] = {}
    for route, pattern in _walk(get_resolver().url_patterns):
        assert pattern.name, f"the page {route!r} has no URL name: name it and declare it in PAGES"
        routes[pattern.name] = list(pattern.pattern.converters)
    return routes


def api_operations() -> set[tuple[str, str]]:
    schema = json.loads(Client().get("/api/v1/openapi.json").content)
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


def test_every_route_is_declared(db):
    pages = set(page_routes())
    undeclared = sorted(pages - set(PAGES))
    assert not undeclared, (
        f"pages with no declared access: {undeclared}. Add each to PAGES in tests/test_authorization.py "
        "with the roles that may call it (or PUBLIC), and `own=` for roles limited to their own "
        "organisation's objects."
    )
    assert not sorted(set(PAGES) - pages), "PAGES names pages the URL conf no longer has"
    operations = api_operations()
    undeclared_api = sorted(operations - set(API))
    assert not undeclared_api, (
        f"API operations with no declared access: {undeclared_api}. Add each to API in "
        "tests/test_authorization.py with the roles that may call it."
    )
    assert not sorted(set(API) - operations), "API names operations the schema no longer has"


# --- a city where every path parameter names another organisation's object -----------------------


@dataclass
class World:
    users: dict[str, Any]
    tokens: dict[str, str]
    params: dict[str, Any]


def _world(make_org: Any, make_user: Any) -> World:
    from merezha.core.models import InboxDocument
    from merezha.core.money import Money
    from merezha.core.services import inbox_deliver
    from merezha.organisations.models import Service, ServiceAlias
    from merezha.organisations.services import api_token_create
    from merezha.payments.services import PaymentLineIn, payment_create
    from merezha.portal.models import BillBatch
    from merezha.registry.models import Person
    from merezha.subsidies.models import BatchCheck, SubsidyDecision, SubsidyRuleParameters
    from merezha.subsidies.selectors import household_status
    from merezha.subsidies.services import debt_certificate_issue
    from tests.payments.conftest import account_make, at, make_dwelling, snapshot_make

    home = {
        AD: make_org(OrgKind.INFO_CENTRE, code="IC"),
        P: make_org(OrgKind.PROVIDER, code="water-home"),
        H: make_org(OrgKind.HOUSING_OFFICE, code="ZHEK-HOME"),
        S: make_org(OrgKind.SUBSIDY_OFFICE, code="USZN-HOME"),
        C: make_org(OrgKind.PAYMENT_POINT, code="P-HOME"),
        M: make_org(OrgKind.CITY, code="CITY"),
    }
    users = {role: make_user(role, organisation=org, username=f"{role}-home") for role, org in home.items()}
    tokens = {role: api_token_create(user=user, name="t")[1] for role, user in users.items()}

    # the others' objects: a dwelling of another housing office, another provider's snapshot, alias,
    # token and register, another point's payment, another subsidy office's certificate, batch check
    # and decision, a document in another organisation's inbox
    dwelling = make_dwelling()
    person = Person.objects.create(
        dwelling=dwelling, surname="Коваленко", name="Іван", surname_key="коваленко"
    )
    provider = make_org(OrgKind.PROVIDER, code="heat-other")
    snapshot = snapshot_make(provider, payments_through=dt.date(2026, 10, 31))
    account = account_make(provider, "heat", "H-1", "500.00", snapshot, dwelling)
    alias = ServiceAlias.objects.create(
        provider=provider, alias="тепло", service=Service.objects.get(code="heat")
    )
    other_provider_user = make_user(P, organisation=provider)
    other_token, _plain = api_token_create(user=other_provider_user, name="other")
    point = make_org(OrgKind.PAYMENT_POINT, code="P-OTHER")
    payment = payment_create(
        cashier=make_user(C, organisation=point),
        point=point,
        lines=[PaymentLineIn(account_id=account.pk, amount=Money.parse("10.00"))],
        method="card",
        tendered=None,
        idempotency_key="authz",
        now=at(dt.date.today().isoformat()),
    ).payment
    office = make_org(OrgKind.SUBSIDY_OFFICE, code="USZN-OTHER")
    other_officer = make_user(S, organisation=office)
    status = household_status(dwelling_id=dwelling.pk, on=dt.date(2026, 11, 15), user=other_officer)
    assert status is not None
    certificate = debt_certificate_issue(user=other_officer, status=status)
    check = BatchCheck.objects.create(
        office=office,
        file_name="b.csv",
        checksum="0" * 64,
        application_date=dt.date(2026, 11, 15),
        parameters=SubsidyRuleParameters.objects.order_by("-valid_from").first(),
    )
    decision = SubsidyDecision.objects.create(
        office=office,
        number="D-0",
        tax_id="1779483742",
        dwelling=dwelling,
        period_from=dt.date(2026, 11, 1),
        period_to=dt.date(2027, 4, 1),
        source="api",
        checksum="0" * 64,
    )
    document = inbox_deliver(
        kind=InboxDocument.Kind.CHANGE_REPORT,
        sender_code="IC",
        recipient_code=provider.code,
        title="t",
        object_type="x",
        object_id="1",
        checksum="0" * 64,
    )
    params = {
        "dwelling_id": dwelling.pk,
        "person_id": person.pk,
        "payment_id": payment.pk,
        "snapshot_id": snapshot.pk,
        "file_format": "csv",
        "alias_id": alias.pk,
        "token_id": other_token.pk,
        "number": certificate.number,
        "check_id": check.pk,
        "decision_id": decision.pk,
        "report_id": 999_999,  # no change report exists: every allowed role is limited to its own
        "document_id": document.pk,
        "fmt": "csv",
        "organisation_id": provider.pk,
        "user_id": other_provider_user.pk,
        "day": dt.date.today().isoformat(),
        "register": 999_999,  # likewise for a register
        "batch_id": BillBatch.objects.create(office=None).pk,  # a whole-city batch of bills
        "office_code": "ZHEK-OTHER",
    }
    return World(users=users, tokens=tokens, params=params)


@pytest.fixture
def world(make_org, make_user) -> World:
    return _world(make_org, make_user)


def _fill(value: Any, world: World) -> Any:
    if value == "DWELLING":
        return world.params["dwelling_id"]
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    return value


def _denied(status: int, location: str, *, anonymous_page: bool) -> bool:
    if anonymous_page and status == 302:
        return location.startswith(reverse("login"))
    return status in (401, 403, 404)


def _check(role: str, access: Access, status: int, location: str, *, page: bool) -> str | None:
    """None when the answer is the declared one, else what is wrong."""
    anonymous_page = page and role == ANONYMOUS
    if PUBLIC in access.roles:
        return None if status < 500 else f"answered {status}"
    if RESIDENT in access.roles:
        if status == 302 and location.startswith(reverse("resident-sign-in")):
            return None
        return f"not sent to the resident's sign-in: {status} {location}"
    allowed = role in access.roles
    if allowed and role not in access.own:
        if (
            _denied(status, location, anonymous_page=anonymous_page)
            or status == 302
            and "/login/" in location
        ):
            return f"refused an allowed role: {status} {location}"
        return None if status < 500 else f"answered {status}"
    if not _denied(status, location, anonymous_page=anonymous_page):
        what = "another organisation's object" if allowed else "a role that may not call it"
        return f"served {what}: {status}"
    return None


def _client(role: str, world: World) -> Client:
    client = Client()
    if role != ANONYMOUS:
        client.force_login(world.users[role])
    return client


@pytest.mark.parametrize("role", IDENTITIES)
def test_pages(role, world):
    client = _client(role, world)
    problems = []
    for name, converters in sorted(page_routes().items()):
        access = PAGES[name]
        kwargs = {c: world.params[c] for c in converters}
        url = reverse(name, kwargs=kwargs)
        data = _fill(access.data, world)
        if name == "logout":  # it ends the session: a client of its own
            response = _client(role, world).post(url, data)
        elif access.method == "POST":
            response = client.post(url, data)
        else:
            response = client.get(url, access.query)
        problem = _check(role, access, response.status_code, response.get("Location", ""), page=True)
        if problem:
            problems.append(f"{access.method} {url} ({name}) as {role}: {problem}")
    assert not problems, "\n".join(problems)


def _api_request(
    client: Client, method: str, path: str, access: Access, world: World, headers: dict[str, str]
) -> Any:
    if "{number}" in path:
        number = world.params["register"] if "/registers/" in path else world.params["number"]
        path = path.replace("{number}", str(number))
    for name, value in world.params.items():
        path = path.replace("{" + name + "}", str(value))
    query = {k: _fill(v, world) for k, v in access.query.items()}
    data = _fill(access.data, world)
    headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
    if method == "GET":
        return client.get(path, query, headers=headers)
    if method == "DELETE":
        return client.delete(path, headers=headers)
    if "file" in data:
        files = {**data, "file": SimpleUploadedFile("f.csv", b"a;b\r\n1;2\r\n", content_type="text/csv")}
        return client.post(path, files, headers=headers)
    return client.post(path, json.dumps(data), content_type="application/json", headers=headers)


@pytest.mark.parametrize("role", IDENTITIES)
def test_api(role, world):
    client = Client()
    headers = {} if role == ANONYMOUS else {"Authorization": f"Bearer {world.tokens[role]}"}
    problems = []
    for method, path in sorted(api_operations()):
        access = API[(method, path)]
        response = _api_request(client, method, path, access, world, headers)
        problem = _check(role, access, response.status_code, "", page=False)
        if problem:
            problems.append(f"{method} {path} as {role}: {problem}")
    assert not problems, "\n".join(problems)
