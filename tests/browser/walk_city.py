"""The city of the every-page walk (tests/browser/test_every_page.py): the tiny demo city, and a day
of the network's work on top of it, so that every role has real objects behind every page.

* the cashier of P001 took two payments yesterday (the day is closed: registers, settlement orders
  and the providers' inbox documents issued) and one today (a receipt that can still be cancelled);
* the subsidy office issued a debt certificate, ran a batch check and filed a decision;
* the housing office issued a family-composition certificate and started a batch of bills;
* a provider has a service alias and an API token, and its user administers the provider's users
  and tokens (`is_org_admin`, as the demo's provider user does); a spare user has a token the
  centre may revoke;
* an organisation with an empty inbox has a reminder (as the scheduler sends one), so that every role
  has a document to open;
* the dwelling paid for has a resident's access code.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone

from merezha.core.roles import Role

#: the roles of the walk, each with the demo user it logs in as (the housing office is the one of
#: the dwelling paid for: chosen in `walk_city_build`)
DEMO_USERS = {
    Role.ADMIN: "admin",
    Role.MANAGER: "manager",
    Role.SUBSIDY: "subsidy",
    Role.PROVIDER: "water",
    Role.CASHIER: "cashier001",
}


@dataclass
class WalkCity:
    users: dict[str, str]  # role → user name
    resident_code: str
    resident_account: str
    org_admins: frozenset[str] = frozenset()  # the roles whose user administers its organisation
    #: (role, path parameter) → value; (route name, path parameter) → value where a route needs an
    #: object of its own kind; (role, route name, path parameter) → value where that differs by role
    params: dict[tuple[str, ...], Any] = field(default_factory=dict)
    query: dict[str, dict[str, str]] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    #: the city's organisation codes and user names: identifiers a page may show as they are
    identifiers: frozenset[str] = frozenset()


def _dwelling_paid() -> tuple[Any, list[Any]]:
    """A dwelling with a water, a heat and a rent account and a person with a tax id."""
    from merezha.providers.models import Account
    from merezha.registry.models import Person

    by_dwelling: dict[int, dict[str, Any]] = {}
    for account in Account.objects.filter(is_active=True, dwelling__isnull=False).select_related(
        "provider", "service"
    ):
        by_dwelling.setdefault(account.dwelling_id, {})[account.provider.code] = account
    for dwelling_id, accounts in sorted(by_dwelling.items()):
        if {"water", "heat", "rent"} <= set(accounts) and Person.objects.filter(
            dwelling_id=dwelling_id, is_active=True
        ).exclude(tax_id="").exists():
            return accounts["water"].dwelling, [accounts["water"], accounts["heat"], accounts["rent"]]
    raise AssertionError("the tiny city has no dwelling with water, heat and rent accounts")


def _remind(code: str) -> None:
    """A reminder in the organisation's inbox, as the scheduler files one (exchange.reminders_run)."""
    from merezha.core.inbox import HUB_SENDER
    from merezha.core.models import InboxDocument
    from merezha.core.services import inbox_deliver

    if InboxDocument.objects.filter(recipient_code=code).exists():
        return
    inbox_deliver(
        kind=InboxDocument.Kind.REMINDER,
        sender_code=HUB_SENDER,
        recipient_code=code,
        values={"reason": "unacknowledged", "count": 2, "days": 3},
        object_type="exchange.reminder",
        object_id=f"walk:{code}",
        checksum="0" * 64,
    )


def walk_city_build(folder: Path) -> WalkCity:
    from merezha.core.models import InboxDocument
    from merezha.core.money import Money
    from merezha.demo.seed import seed_city
    from merezha.housing.models import ChangeReport
    from merezha.housing.services import family_composition_issue
    from merezha.organisations.models import Organisation, Service, ServiceAlias, User
    from merezha.organisations.services import api_token_create, user_update
    from merezha.payments.services import PaymentLineIn, payment_create
    from merezha.portal import selectors as portal_selectors
    from merezha.portal.models import ResidentAccess
    from merezha.portal.services import access_codes_ensure, bill_batch_start
    from merezha.providers.models import Snapshot
    from merezha.registers.services import days_close
    from merezha.registry.models import Person
    from merezha.subsidies.selectors import household_status
    from merezha.subsidies.services.batch_check import batch_check_run
    from merezha.subsidies.services.decisions import decision_submit
    from merezha.subsidies.services.rule import debt_certificate_issue

    seeded = seed_city(scale_name="tiny", folder=folder)
    dwelling, accounts = _dwelling_paid()
    person = (
        Person.objects.filter(dwelling=dwelling, is_active=True).exclude(tax_id="").order_by("id").first()
    )
    assert person is not None
    office = dwelling.office
    users = {**DEMO_USERS, Role.HOUSING: office.code.lower().replace("-", "")}
    user = {role: User.objects.get(username=name) for role, name in users.items()}
    cashier = user[Role.CASHIER]
    point = cashier.organisation
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)

    def take(day: dt.date, key: str, *lines: tuple[Any, str]) -> Any:
        moment = timezone.make_aware(dt.datetime(day.year, day.month, day.day, 10, 0))
        return payment_create(
            cashier=cashier,
            point=point,
            lines=[PaymentLineIn(account_id=a.pk, amount=Money.parse(x)) for a, x in lines],
            method="cash",
            tendered=None,
            idempotency_key=key,
            now=moment,
        ).payment

    take(yesterday, "walk-1", (accounts[0], "120.50"), (accounts[1], "845.00"))
    take(yesterday, "walk-2", (accounts[2], "310.20"))
    closed = days_close(day=yesterday)
    payment = take(today, "walk-3", (accounts[0], "48.80"), (accounts[1], "100.00"))

    subsidy = user[Role.SUBSIDY]
    status = household_status(dwelling_id=dwelling.pk, on=today, user=subsidy)
    assert status is not None
    certificate = debt_certificate_issue(user=subsidy, status=status)
    family = family_composition_issue(office=office, dwelling_id=dwelling.pk, user=user[Role.HOUSING])
    check = batch_check_run(
        user=subsidy,
        source=io.BytesIO(f"tax_id\r\n{person.tax_id}\r\n1234567890\r\n".encode()),
        file_name="заявники.csv",
        application_date=today,
    )
    decision, _created = decision_submit(
        user=subsidy,
        data={
            "decision": "Р-1",
            "tax_id": person.tax_id,
            "dwelling_id": dwelling.pk,
            "period_from": f"{today:%Y-%m}",
            "period_to": f"{today + dt.timedelta(days=150):%Y-%m}",
            "lines": [{"service": "water", "monthly_amount": "100.00"}],
        },
        source="page",
    )

    provider = user[Role.PROVIDER].organisation
    alias = ServiceAlias.objects.create(
        provider=provider, alias="водичка", service=Service.objects.get(code="water")
    )
    provider_token, _plain = api_token_create(user=user[Role.PROVIDER], name="обмін")
    for (
        role
    ) in users:  # the demo makes some users administrators of their organisations; the provider's, at least
        if role == Role.PROVIDER and not user[role].is_org_admin:
            user_update(user=user[role], full_name=user[role].get_full_name(), is_org_admin=True)
        user[role].refresh_from_db()
        if user[role].is_org_admin and role != Role.PROVIDER:
            # an administrator's own token: its page carries the rotate and revoke forms
            api_token_create(user=user[role], name="обмін")
    spare = User.objects.get(username="cashier002")
    spare_token, _plain = api_token_create(user=spare, name="каса 2")

    access_codes_ensure(dwelling_ids=[dwelling.pk])
    access = ResidentAccess.objects.get(dwelling_id=dwelling.pk)
    code = portal_selectors.access_code_derive(dwelling_id=dwelling.pk, nonce=access.nonce)
    # started, not rendered: the office's PDF takes ~17 s to render (tests/portal render batches)
    batch = bill_batch_start(office=office, user=user[Role.HOUSING])

    for role in users:
        _remind(user[role].organisation.code)
    documents = {
        role: InboxDocument.objects.filter(recipient_code=user[role].organisation.code).order_by("id").first()
        for role in users
    }
    snapshot = Snapshot.objects.filter(provider=provider).order_by("-id").first()
    provider_report = ChangeReport.objects.filter(provider=provider).order_by("id").first()
    office_report = ChangeReport.objects.filter(office=office).order_by("id").first()
    assert snapshot and provider_report and office_report

    params: dict[tuple[str, ...], Any] = {}
    for role in (*users, "anonymous", "resident"):
        params[(role, "dwelling_id")] = dwelling.pk
        params[(role, "person_id")] = person.pk
        params[(role, "number")] = certificate.number
        params[(role, "check_id")] = check.pk
        params[(role, "decision_id")] = decision.pk
        params[(role, "batch_id")] = batch.pk
        params[(role, "office_code")] = office.code
        params[(role, "organisation_id")] = provider.pk
        params[(role, "user_id")] = spare.pk
        params[(role, "token_id")] = spare_token.pk
        params[(role, "file_format")] = "xlsx"
    params[(Role.CASHIER, "payment_id")] = payment.pk
    params[(Role.PROVIDER, "snapshot_id")] = snapshot.pk
    params[(Role.PROVIDER, "alias_id")] = alias.pk
    params[(Role.PROVIDER, "token_id")] = provider_token.pk
    params[(Role.PROVIDER, "report_id")] = provider_report.pk
    params[(Role.HOUSING, "report_id")] = office_report.pk
    # an organisation administrator's pages: its own user, a token of its organisation
    for role in users:
        params[(role, "org-user", "user_id")] = user[role].pk
        params[(role, "org-token-issue", "user_id")] = user[role].pk
    # the centre's pages of an organisation of the kind they concern
    params[("centre-organisation", "organisation_id")] = [provider.pk, office.pk, point.pk]
    params[("centre-office-building", "organisation_id")] = office.pk
    params[("centre-user-new", "organisation_id")] = point.pk
    # a document with files where the role gets one (a provider's register), else the reminder
    for role, document in documents.items():
        with_files = (
            InboxDocument.objects.filter(recipient_code=user[role].organisation.code)
            .exclude(kind=InboxDocument.Kind.REMINDER)
            .order_by("id")
            .first()
        )
        params[(role, "document_id")] = (with_files or document).pk
        params[(role, "fmt")] = "xlsx" if with_files else None
    query = {
        "certificate-verify": {"c": certificate.code},
        "desk-search": {"q": person.surname},
        "settlement-reconciliation": {"day": yesterday.isoformat(), "provider": provider.code},
        "settlement-xlsx": {"day": yesterday.isoformat(), "provider": provider.code},
    }
    figures = {
        **seeded.figures,
        "registers": len(closed.registers),
        "certificates": [certificate.number, family.number],
        "organisations": Organisation.objects.count(),
    }
    return WalkCity(
        users=users,
        org_admins=frozenset(role for role in users if user[role].is_org_admin),
        resident_code=code,
        resident_account=accounts[0].number,
        params=params,
        query=query,
        figures=figures,
        identifiers=frozenset(
            [
                *Organisation.objects.values_list("code", flat=True),
                *User.objects.values_list("username", flat=True),
            ]
        ),
    )
