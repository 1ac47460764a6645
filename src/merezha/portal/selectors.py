"""Reads of the portal: the unified bill's figures, the resident's debts, payments and who looked."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from merezha.core.models import AuditEntry, AuditSubject
from merezha.core.money import Money
from merezha.organisations.models import Organisation, ProviderService
from merezha.payments.models import PaymentLine
from merezha.payments.selectors import account_debts
from merezha.portal import nbu_qr
from merezha.portal.models import ResidentAccess
from merezha.providers.models import Account, AccountPeriod
from merezha.registry.models import Dwelling, Person

#: the dwelling code printed on the bill: D and the dwelling's id (at least six digits). A scanner
#: acting as a keyboard types В for D under a Ukrainian layout, so both are accepted.
DWELLING_CODE = re.compile(r"^[DdВв](\d{6,12})$")
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
CODE_LENGTH = 10


def dwelling_code(dwelling_id: int) -> str:
    return f"D{dwelling_id:06d}"


def dwelling_code_parse(text: str) -> int | None:
    """The dwelling id of a printed dwelling code (`D000123`), or None."""
    m = DWELLING_CODE.match((text or "").strip())
    return int(m.group(1)) if m else None


# --- access codes --------------------------------------------------------------------------------


def _mac(label: str, text: str) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), f"{label}:{text}".encode(), hashlib.sha256).digest()


def access_code_derive(*, dwelling_id: int, nonce: str) -> str:
    """The printed code of a dwelling for a nonce: CODE_LENGTH characters of an unambiguous alphabet."""
    number = int.from_bytes(_mac("portal-access", f"{dwelling_id}:{nonce}"), "big")
    out = []
    for _ in range(CODE_LENGTH):
        number, digit = divmod(number, len(_CODE_ALPHABET))
        out.append(_CODE_ALPHABET[digit])
    return "".join(out)


def access_code_hash(*, dwelling_id: int, code: str) -> str:
    return _mac("portal-code", f"{dwelling_id}:{code}").hex()


def access_code_normalise(text: str) -> str:
    return re.sub(r"[\s\-]", "", text or "").upper()


def access_code_display(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def access_codes(*, dwelling_ids: Iterable[int]) -> dict[int, str]:
    """The printed access code of each dwelling that has one (portal.services.access_codes_ensure)."""
    rows = ResidentAccess.objects.filter(dwelling_id__in=list(dwelling_ids)).values_list(
        "dwelling_id", "nonce"
    )
    return {did: access_code_derive(dwelling_id=did, nonce=nonce) for did, nonce in rows}


# --- the bill ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BillLine:
    account_id: int
    provider_code: str
    provider_name: str
    service_code: str
    service_name: str
    account: str
    period: dt.date
    opening: Money | None
    charged: Money | None
    recalc: Money | None
    benefit: Money | None
    subsidy: Money | None
    paid: Money | None
    closing: Money
    paid_since: Money  # network payments after the provider's data
    debt: Money  # the current debt (payments.selectors.account_debts)
    as_of: dt.date  # the provider's data as of (payments through)
    qr_url: str  # the NBU payment QR code's address, or empty
    qr_problem: str  # why there is no QR code (no IBAN, no ЄДРПОУ, a field too long)


@dataclass(frozen=True)
class Bill:
    dwelling_id: int
    code: str  # D000123, opens the card at the desk
    address: str
    office_code: str
    office_name: str
    office_address: str
    payer: str
    access_code: str  # empty when the dwelling has none yet
    lines: list[BillLine] = field(default_factory=list)

    @property
    def total_debt(self) -> Money:
        return Money.total(line.debt for line in self.lines if line.debt.is_positive())

    @property
    def period(self) -> dt.date | None:
        return max((line.period for line in self.lines), default=None)


class _Recipients:
    """Who receives a provider service's payments: the IBAN of the service (else the provider's), its ЄДРПОУ."""

    def __init__(self) -> None:
        self.iban: dict[tuple[int, int], str] = {
            (ps.provider_id, ps.service_id): ps.iban
            for ps in ProviderService.objects.exclude(iban="").only("provider_id", "service_id", "iban")
        }

    def qr(self, acc: Account, debt: Money, period: dt.date, fmt: str) -> tuple[str, str]:
        provider: Organisation = acc.provider
        iban = self.iban.get((acc.provider_id, acc.service_id)) or provider.iban
        if not iban:
            return "", "no IBAN"
        if not provider.edrpou:
            return "", "no EDRPOU"
        try:
            purpose = nbu_qr.purpose_fit(
                service=acc.service.name or acc.service.code, account=acc.number, period=f"{period:%m.%Y}"
            )
            payment = nbu_qr.NbuPayment(
                recipient=provider.name, iban=iban, code=provider.edrpou, purpose=purpose, amount=debt
            )
            return nbu_qr.payment_url(payment, fmt=fmt), ""
        except nbu_qr.NbuQrError as exc:
            return "", str(exc)


def bills_build(*, dwelling_ids: list[int], fmt: str | None = None) -> list[Bill]:
    """The unified bills of the dwellings, in the order given (unknown or inactive ids left out).

    A fixed number of queries for any number of dwellings: batches build thousands at once.
    """
    fmt = fmt or settings.PORTAL_NBU_QR_FORMAT
    dwellings = {
        d.pk: d
        for d in Dwelling.objects.filter(pk__in=dwelling_ids, is_active=True).select_related(
            "building__street", "office"
        )
    }
    accounts: dict[int, list[Account]] = defaultdict(list)
    rows = (
        Account.objects.filter(dwelling_id__in=list(dwellings), is_active=True)
        .select_related("provider", "service", "snapshot")
        .order_by("provider__code", "service__code", "number", "pk")
    )
    for acc in rows:
        if acc.snapshot.period is not None and acc.snapshot.payments_through is not None:
            accounts[acc.dwelling_id].append(acc)  # type: ignore[index]
    ids = [a.pk for accs in accounts.values() for a in accs]
    debts = account_debts(account_ids=ids)
    periods = {
        (p.account_id, p.period): p
        for p in AccountPeriod.objects.filter(account_id__in=ids).only(
            "account_id", "period", "opening", "charged", "recalc", "benefit", "subsidy", "paid", "closing"
        )
    }
    has_head: set[int] = set()
    heads: dict[int, str] = {}  # the first head of household registered, else the first resident
    for person in Person.objects.filter(dwelling_id__in=list(dwellings), is_active=True).order_by(
        "dwelling_id", "pk"
    ):
        if person.relation == "head" and person.dwelling_id not in has_head:
            heads[person.dwelling_id] = person.full_name
            has_head.add(person.dwelling_id)
        elif person.dwelling_id not in heads:
            heads[person.dwelling_id] = person.full_name
    codes = access_codes(dwelling_ids=list(dwellings))
    recipients = _Recipients()
    bills = []
    for did in dwelling_ids:
        d: Any = dwellings.get(did)
        if d is None:
            continue
        lines = []
        for acc in accounts.get(did, []):
            snap: Any = acc.snapshot
            p = periods.get((acc.pk, snap.period))
            debt = debts.get(acc.pk, acc.closing)
            qr_url, problem = recipients.qr(acc, debt, snap.period, fmt)
            lines.append(
                BillLine(
                    account_id=acc.pk,
                    provider_code=acc.provider.code,
                    provider_name=acc.provider.name,
                    service_code=acc.service.code,
                    service_name=acc.service.name or acc.service.code,
                    account=acc.number,
                    period=snap.period,
                    opening=p.opening if p else None,
                    charged=p.charged if p else None,
                    recalc=p.recalc if p else None,
                    benefit=p.benefit if p else None,
                    subsidy=p.subsidy if p else None,
                    paid=p.paid if p else None,
                    closing=acc.closing,
                    paid_since=acc.closing - debt,
                    debt=debt,
                    as_of=snap.payments_through,
                    qr_url=qr_url,
                    qr_problem=problem,
                )
            )
        payer = heads.get(did) or next((a.payer for a in accounts.get(did, []) if a.payer), "")
        bills.append(
            Bill(
                dwelling_id=did,
                code=dwelling_code(did),
                address=str(d),
                office_code=d.office.code,
                office_name=d.office.name,
                office_address=d.office.address,
                payer=payer,
                access_code=codes.get(did, ""),
                lines=lines,
            )
        )
    return bills


def office_dwelling_ids(*, office_id: int | None) -> list[int]:
    """The active dwellings of one office (or of every office), in the order bills are delivered."""
    qs = Dwelling.objects.filter(is_active=True)
    if office_id is not None:
        qs = qs.filter(office_id=office_id)
    return list(
        qs.order_by(
            "office_id", "building__street__name", "building__key", "apartment_key", "pk"
        ).values_list("pk", flat=True)
    )


def provider_bill_lines(*, provider: Organisation, office_code: str = "") -> Iterable[dict[str, Any]]:
    """PROVIDER: the bill's figures of the provider's own accounts that belong to a dwelling, as rows
    (the columns of docs/reference/bill.md), streamed in chunks."""
    qs = Dwelling.objects.filter(is_active=True, accounts__provider_id=provider.pk, accounts__is_active=True)
    if office_code:
        qs = qs.filter(office__code=office_code)
    ids = list(qs.order_by("pk").values_list("pk", flat=True).distinct())
    for start in range(0, len(ids), 500):
        for bill in bills_build(dwelling_ids=ids[start : start + 500]):
            for line in bill.lines:
                if line.provider_code != provider.code:
                    continue
                yield {
                    "dwelling_code": bill.code,
                    "address": bill.address,
                    "office": bill.office_code,
                    "account": line.account,
                    "service": line.service_code,
                    "period": f"{line.period:%Y-%m}",
                    "opening": _s(line.opening),
                    "charged": _s(line.charged),
                    "recalc": _s(line.recalc),
                    "benefit": _s(line.benefit),
                    "subsidy": _s(line.subsidy),
                    "paid": _s(line.paid),
                    "closing": str(line.closing),
                    "paid_since": str(line.paid_since),
                    "debt": str(line.debt),
                    "as_of": line.as_of.isoformat(),
                    "qr_url": line.qr_url,
                }


def _s(value: Money | None) -> str:
    return "" if value is None else str(value)


# --- the resident's pages ------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkPayment:
    day: dt.date
    point: str
    provider: str
    service: str
    account: str
    amount: Money
    cancelled: bool


def resident_payments(*, dwelling_id: int, limit: int = 200) -> list[NetworkPayment]:
    """The household's payments through the network, newest first (cancelled ones marked)."""
    rows = (
        PaymentLine.objects.filter(account__dwelling_id=dwelling_id)
        .select_related("payment__point", "payment__cancellation", "provider", "account__service")
        .order_by("-operational_day", "-payment__accepted_at", "pk")[:limit]
    )
    out = []
    for line in rows:
        payment: Any = line.payment
        out.append(
            NetworkPayment(
                day=line.operational_day,
                point=payment.point.name,
                provider=line.provider.name,
                service=line.account.service.name or line.account.service.code,
                account=line.account.number,
                amount=line.amount,
                cancelled=hasattr(payment, "cancellation") and _has_cancellation(payment),
            )
        )
    return out


def _has_cancellation(payment: Any) -> bool:
    try:
        return payment.cancellation is not None
    except Exception:  # noqa: BLE001 - a reverse one-to-one without a row raises DoesNotExist
        return False


@dataclass(frozen=True)
class Look:
    at: dt.datetime
    organisation: str
    kind: str  # the organisation's kind (OrgKind), shown by its label


def dwelling_looks(*, dwelling_id: int, days: int | None = None) -> list[Look]:
    """Who looked at the dwelling's data: the audit entries that showed it (`core.AuditSubject`, which
    every audited search, card, household and certificate look-up writes) or name it as their object,
    with the organisation's name and kind and the time; never the person who looked."""
    since = timezone.now() - dt.timedelta(days=days or settings.PORTAL_AUDIT_DAYS)
    shown = AuditSubject.objects.filter(kind=AuditSubject.Kind.DWELLING, object_id=dwelling_id).values(
        "entry_id"
    )
    entries = (
        AuditEntry.objects.filter(at__gte=since)
        .filter(Q(pk__in=shown) | Q(object_type="dwelling", object_id=str(dwelling_id)))
        .exclude(organisation_code="")
        .order_by("-at", "-id")
        .values_list("at", "organisation_code")[:1000]
    )
    chosen = list(entries)
    orgs = {o.code: o for o in Organisation.objects.filter(code__in={org for _at, org in chosen})}
    return [
        Look(at=at, organisation=orgs[code].name, kind=orgs[code].get_kind_display())
        for at, code in chosen
        if code in orgs
    ]
