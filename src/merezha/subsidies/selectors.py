"""Reads of the subsidy office: the rule in force, a household's debt status and verdict, batch answers.

Everything here is set-based: `households_figures` takes many dwellings and answers with a fixed
number of queries (accounts, current debts through `payments.selectors.account_debts`, period
history, exemptions), so that a single look-up and a batch of 10,000 use the same code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import BigIntegerField, ExpressionWrapper, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from merezha.core.identifiers import tax_id_normalise
from merezha.core.money import Money, MoneyError
from merezha.core.services import audit_record
from merezha.organisations.models import Organisation, Service, User
from merezha.organisations.selectors import organisation_names, service_names
from merezha.payments.selectors import account_debts
from merezha.providers.models import Account, AccountPeriod, Snapshot
from merezha.registry.matching import MatchStatus
from merezha.registry.models import Dwelling, Person
from merezha.registry.selectors import DwellingIndex, dwelling_index_build
from merezha.subsidies.models import (
    BatchCheck,
    DecisionDelivery,
    Exemption,
    SubsidyDecision,
    SubsidyRuleParameters,
)
from merezha.subsidies.rule import (
    AccountFigures,
    ExemptionInfo,
    RuleParams,
    Verdict,
    month_back,
    verdict_compute,
)

if TYPE_CHECKING:
    from merezha.core.models import Certificate

#: Ids per `IN (...)` query: well under SQLite's limit of bound variables.
CHUNK = 5000
#: How far back the history is read to tell how many months a debt spans (beyond `months`).
HISTORY_MONTHS = 24

T = TypeVar("T")


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


_CONTROL = dict.fromkeys([*range(0, 32), 127], " ")


def text_clean(value: str) -> str:
    """Input text without control characters (PostgreSQL refuses NUL in text and JSON), spaces collapsed."""
    return " ".join((value or "").translate(_CONTROL).split())


class NoRuleInForce(Exception):
    """No parameter set of the rule applies on the date asked."""


# --- the rule's parameters ---------------------------------------------------------------


def rule_parameters_list() -> QuerySet[SubsidyRuleParameters]:
    return SubsidyRuleParameters.objects.all()


def rule_parameters_in_force(*, on: dt.date) -> RuleParams:
    """The parameter set with the latest `valid_from` not after `on`; NoRuleInForce when none."""
    row = SubsidyRuleParameters.objects.filter(valid_from__lte=on).order_by("-valid_from").first()
    if row is None:
        raise NoRuleInForce(f"no subsidy rule parameters are in force on {on.isoformat()}")
    return RuleParams(
        id=row.pk,
        valid_from=row.valid_from,
        months=row.months,
        threshold=row.threshold,
        threshold_large_family=row.threshold_large_family,
        exemptions_enabled=row.exemptions_enabled,
    )


# --- figures of many households at once ----------------------------------------------------


def _zero_if_null(field: str) -> Coalesce:
    return Coalesce(F(field), Value(0), output_field=BigIntegerField())


#: What was billed in a period, in kopecks, computed by the database (NULL when `charged` is).
_BILLED = ExpressionWrapper(
    F("charged") + _zero_if_null("recalc") - _zero_if_null("benefit") - _zero_if_null("subsidy"),
    output_field=BigIntegerField(),
)


def households_figures(*, dwelling_ids: Iterable[int], on: dt.date) -> dict[int, list[AccountFigures]]:
    """Every active account of each dwelling with its current debt, billed history and exemption on `on`."""
    ids = sorted(set(dwelling_ids))
    result: dict[int, list[AccountFigures]] = {d: [] for d in ids}
    rows: list[tuple[Any, ...]] = []
    for chunk in _chunks(ids):
        rows.extend(
            Account.objects.filter(dwelling_id__in=chunk, is_active=True).values_list(
                "pk", "dwelling_id", "provider_id", "service_id", "number", "snapshot_id"
            )
        )
    # the few providers, services and snapshots in force: by id, instead of a join per account
    providers = dict(
        (pk, (code, name))
        for pk, code, name in Organisation.objects.filter(pk__in={r[2] for r in rows}).values_list(
            "pk", "code", "name"
        )
    )
    services = {
        pk: (code, name or code) for pk, code, name in Service.objects.values_list("pk", "code", "name")
    }
    periods = {
        pk: (period, through)
        for pk, period, through in Snapshot.objects.filter(pk__in={r[5] for r in rows}).values_list(
            "pk", "period", "payments_through"
        )
    }
    rows = [
        (pk, dwelling_id, *providers[p], *services[s], number, *periods[snap])
        for pk, dwelling_id, p, s, number, snap in rows
    ]
    rows.sort(key=lambda r: (r[1], r[2], r[4], r[6], r[0]))
    account_ids = [r[0] for r in rows]
    debts: dict[int, Money] = {}
    for chunk in _chunks(account_ids):
        debts.update(account_debts(account_ids=list(chunk)))
    owing = [r for r in rows if debts.get(r[0], Money(0)).is_positive()]
    billed: dict[int, dict[dt.date, Money | None]] = {}
    exemptions: dict[int, ExemptionInfo] = {}
    if owing:
        since = month_back(min(r[7] for r in owing), HISTORY_MONTHS)
        owing_ids = [r[0] for r in owing]
        for chunk in _chunks(owing_ids):
            history = (
                AccountPeriod.objects.filter(account_id__in=chunk, period__gte=since)
                .annotate(billed_k=_BILLED)
                .order_by("snapshot_id", "pk")
                .values_list("account_id", "period", "billed_k")
            )
            for account_id, period, billed_k in history:
                # a later snapshot's figures for the same period replace an earlier one's
                billed.setdefault(account_id, {})[period] = None if billed_k is None else Money(billed_k)
        for chunk in _chunks(ids):
            active = (
                Exemption.objects.filter(account__dwelling_id__in=chunk, valid_from__lte=on)
                .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
                .order_by("valid_from", "pk")
            )
            for ex in active:
                exemptions[ex.account_id] = ExemptionInfo(ex.kind, ex.valid_from, ex.valid_to, ex.note)
    for pk, dwelling_id, pcode, pname, scode, sname, number, period, through in rows:
        result[dwelling_id].append(
            AccountFigures(
                account_id=pk,
                provider_code=pcode,
                provider_name=pname,
                service_code=scode,
                service_name=sname,
                number=number,
                debt=debts.get(pk, Money(0)),
                latest_period=period,
                as_of=through,
                billed=billed.get(pk, {}),
                exemption=exemptions.get(pk),
            )
        )
    return result


# --- one household ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdStatus:
    dwelling_id: int
    address: str
    office_code: str
    residents: list[str]
    verdict: Verdict
    #: the housing office as people read it (pages); the API and payloads carry `office_code`
    office_name: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "dwelling_id": self.dwelling_id,
            "address": self.address,
            "office": self.office_code,
            "residents": list(self.residents),
            **self.verdict.as_dict(),
        }


def dwelling_label(dwelling: Dwelling) -> str:
    street = dwelling.building.street
    text = f"{street.type} {street.name}, {dwelling.building.number}"
    return text + (f", кв. {dwelling.apartment}" if dwelling.apartment else "")


def household_status(
    *,
    dwelling_id: int,
    on: dt.date,
    family_type: str = "regular",
    user: User | None = None,
    channel: str = "web",
) -> HouseholdStatus | None:
    """A household's debt status and verdict as of `on`; the look-up is audit-logged for `user`.

    None when there is no such active dwelling. Raises NoRuleInForce when no rule applies on `on`.
    """
    dwelling = (
        Dwelling.objects.select_related("building__street", "office")
        .filter(pk=dwelling_id, is_active=True)
        .first()
    )
    if dwelling is None:
        return None
    params = rule_parameters_in_force(on=on)
    figures = households_figures(dwelling_ids=[dwelling.pk], on=on)[dwelling.pk]
    verdict = verdict_compute(accounts=figures, params=params, application_date=on, family_type=family_type)
    residents = [
        p.full_name for p in Person.objects.filter(dwelling_id=dwelling.pk, is_active=True).order_by("pk")
    ]
    if user is not None:
        audit_record(
            user=user,
            action="subsidy.debt_status",
            object_type="dwelling",
            object_id=str(dwelling.pk),
            detail={"application_date": on.isoformat(), "status": verdict.status},
            channel=channel,
            dwelling_ids=[dwelling.pk],
        )
    return HouseholdStatus(
        dwelling.pk, dwelling_label(dwelling), dwelling.office.code, residents, verdict, dwelling.office.name
    )


# --- finding households -------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """The dwellings a query led to, or why it led to none."""

    dwelling_ids: tuple[int, ...]
    reason: str = ""

    @property
    def one(self) -> int | None:
        return self.dwelling_ids[0] if len(self.dwelling_ids) == 1 else None


def dwellings_by_tax_ids(*, tax_ids: Iterable[str]) -> dict[str, set[int]]:
    """Normalised tax id → active dwellings: where the person is registered, else where accounts name them."""
    wanted = sorted(set(tax_ids))
    found: dict[str, set[int]] = {}
    for chunk in _chunks(wanted):
        for tax_id, dwelling_id in Person.objects.filter(
            tax_id__in=chunk, is_active=True, dwelling__is_active=True
        ).values_list("tax_id", "dwelling_id"):
            found.setdefault(tax_id, set()).add(dwelling_id)
    rest = [t for t in wanted if t not in found]
    for chunk in _chunks(rest):
        for tax_id, dwelling_id in Account.objects.filter(
            tax_id__in=chunk, is_active=True, dwelling__isnull=False, dwelling__is_active=True
        ).values_list("tax_id", "dwelling_id"):
            found.setdefault(tax_id, set()).add(dwelling_id)
    return found


def _found_by_tax_id(tax_id: str, index: dict[str, set[int]]) -> Found:
    dwellings = index.get(tax_id, set())
    if not dwellings:
        return Found((), f"tax id {tax_id} is not registered in any dwelling and names no account")
    if len(dwellings) > 1:
        return Found(tuple(sorted(dwellings)), f"tax id {tax_id} leads to {len(dwellings)} dwellings")
    return Found(tuple(dwellings))


def _found_by_address(text: str, index: DwellingIndex, parts: tuple[str, str, str] | None = None) -> Found:
    """Match an address written as one text, or as (street, house, apartment) when given in columns."""
    if parts is not None:
        match = index.match(street=parts[0], house=parts[1], apartment=parts[2])
    else:
        match = index.match_text(text)
    if match.status is MatchStatus.MATCHED and match.dwelling_id is not None:
        return Found((match.dwelling_id,))
    return Found(tuple(match.candidates), f"address {text!r}: {match.reason or match.status.value}")


def households_find(
    *, tax_id: str = "", address: str = "", user: User | None = None, channel: str = "web"
) -> Found:
    """One look-up by tax id or by address, as the subsidy office types it; audit-logged for `user`
    (the query with a tax id masked and hashed, as every audited search keeps it)."""
    tax_id, address = text_clean(tax_id), text_clean(address)
    if tax_id.strip():
        try:
            value = tax_id_normalise(tax_id)
        except ValueError as exc:
            return Found((), str(exc))
        found = _found_by_tax_id(value, dwellings_by_tax_ids(tax_ids=[value]))
        query = value
    elif address.strip():
        found = _found_by_address(address.strip(), dwelling_index_build())
        query = address.strip()
    else:
        return Found((), "give a tax id or an address")
    if user is not None:
        audit_record(
            user=user,
            action="subsidy.search",
            object_type="dwelling",
            object_id=str(found.one or ""),
            query=query,
            channel=channel,
            dwelling_ids=found.dwelling_ids,
        )
    return found


def dwelling_labels(*, dwelling_ids: Iterable[int]) -> dict[int, str]:
    """Dwelling id → `вул. Шевченка, 10, кв. 5`, for many dwellings at once."""
    ids = sorted(set(dwelling_ids))
    out: dict[int, str] = {}
    for chunk in _chunks(ids):
        rows = Dwelling.objects.filter(pk__in=chunk).values_list(
            "pk", "building__street__type", "building__street__name", "building__number", "apartment"
        )
        for pk, stype, name, number, apartment in rows:
            out[pk] = f"{stype} {name}, {number}" + (f", кв. {apartment}" if apartment else "")
    return out


# --- batch checks, exemptions, decisions ---------------------------------------------------------


def batch_check_list(*, office_id: int | None) -> QuerySet[BatchCheck]:
    """Batch checks of one office (None: every office, for the information centre)."""
    qs = BatchCheck.objects.defer("rows")
    return qs if office_id is None else qs.filter(office_id=office_id)


def batch_check_get(*, check_id: int, office_id: int | None) -> BatchCheck | None:
    qs = BatchCheck.objects.filter(pk=check_id)
    if office_id is not None:
        qs = qs.filter(office_id=office_id)
    return qs.first()


@dataclass(frozen=True)
class BatchFigure:
    """One account of a batch answer line, as the page shows it."""

    service_code: str
    service_name: str
    provider_code: str
    provider_name: str
    debt: Money
    overdue: Money | None  # None: the history cannot tell
    months: str  # `2`, or `>3` when the debt is older than the history
    exempt: bool


@dataclass(frozen=True)
class BatchLine:
    """A stored batch answer line for the page: amounts as Money, the figures by account."""

    line: int
    tax_id: str
    address: str
    dwelling: str
    match: str
    verdict: str
    debt_total: Money | None
    overdue_total: Money | None
    reason: str
    #: the accounts, or None when the stored text is not in the known form (then `figures_text`)
    figures: list[BatchFigure] | None
    figures_text: str

    @property
    def figures_owing(self) -> list[BatchFigure]:
        """The accounts with a debt or an overpayment: what the page lists (the files list all)."""
        return [f for f in self.figures or [] if f.debt]


#: one account of an answer line's `figures` (`subsidies.services._figures_text`):
#: `heat/TEPLO: debt 1580.01, overdue 680.01, months 4`, `… overdue ?, months >3 (exempt)`
_FIGURE = re.compile(
    r"(?P<service>[^/;]+)/(?P<provider>[^;]+?): debt (?P<debt>-?\d+\.\d\d), "
    r"overdue (?P<overdue>\?|-?\d+\.\d\d), months (?P<months>>?\d+)(?P<exempt> \(exempt\))?"
)


def _money_or_none(text: Any) -> Money | None:
    try:
        return Money.parse(text) if text not in (None, "") else None
    except MoneyError:
        return None


def batch_check_lines(*, check: BatchCheck, limit: int | None = None) -> list[BatchLine]:
    """The stored answer lines of a batch check for its page: services and providers by name."""
    rows = check.rows if limit is None else check.rows[:limit]
    parsed: list[tuple[dict[str, Any], list[re.Match[str]] | None]] = []
    for row in rows:
        text = row.get("figures") or ""
        parts = text.split("; ") if text else []
        found = [_FIGURE.fullmatch(p) for p in parts]
        parsed.append((row, None if not all(found) else [m for m in found if m is not None]))
    services = service_names()
    providers = organisation_names(codes={m["provider"] for _row, matches in parsed for m in matches or []})
    out = []
    for row, matches in parsed:
        figures = (
            None
            if matches is None
            else [
                BatchFigure(
                    service_code=m["service"],
                    service_name=services.get(m["service"], m["service"]),
                    provider_code=m["provider"],
                    provider_name=providers.get(m["provider"], m["provider"]),
                    debt=Money.parse(m["debt"]),
                    overdue=None if m["overdue"] == "?" else Money.parse(m["overdue"]),
                    months=m["months"],
                    exempt=bool(m["exempt"]),
                )
                for m in matches
            ]
        )
        out.append(
            BatchLine(
                line=row.get("line", 0),
                tax_id=row.get("tax_id", ""),
                address=row.get("address", ""),
                dwelling=row.get("dwelling", ""),
                match=row.get("match", ""),
                verdict=row.get("verdict", ""),
                debt_total=_money_or_none(row.get("debt_total")),
                overdue_total=_money_or_none(row.get("overdue_total")),
                reason=row.get("reason", ""),
                figures=figures,
                figures_text=row.get("figures") or "",
            )
        )
    return out


def exemption_list(*, dwelling_id: int) -> QuerySet[Exemption]:
    return Exemption.objects.filter(account__dwelling_id=dwelling_id).select_related(
        "account__provider", "account__service"
    )


def household_accounts(*, dwelling_id: int) -> QuerySet[Account]:
    return (
        Account.objects.filter(dwelling_id=dwelling_id, is_active=True)
        .select_related("provider", "service")
        .order_by("provider__code", "service__code", "number")
    )


def decision_list(*, office_id: int | None) -> QuerySet[SubsidyDecision]:
    qs = SubsidyDecision.objects.select_related("office", "dwelling__building__street").prefetch_related(
        "lines__service", "deliveries__provider", "deliveries__document"
    )
    return qs if office_id is None else qs.filter(office_id=office_id)


def decision_get(*, decision_id: int, office_id: int | None) -> SubsidyDecision | None:
    return decision_list(office_id=office_id).filter(pk=decision_id).first()


def decision_part_get(*, decision_id: int, provider_id: int) -> DecisionDelivery | None:
    """One provider's part of a decision; only the provider it was delivered to may read it."""
    return (
        DecisionDelivery.objects.select_related("document", "decision__office")
        .filter(decision_id=decision_id, provider_id=provider_id)
        .first()
    )


def debt_certificate_get(
    *, number: str, issuer_code: str | None, user: User | None = None, channel: str = "web"
) -> Certificate | None:
    """A payment-status certificate issued by this office (None: any office, for the information centre).

    Opening one for `user` is written to the audit log (`subsidy.certificate_view`)."""
    from merezha.core.models import Certificate

    qs = Certificate.objects.filter(number=number, kind=Certificate.Kind.SUBSIDY_DEBT_STATUS)
    if issuer_code is not None:
        qs = qs.filter(issuer_code=issuer_code)
    cert = qs.first()
    if cert is not None and user is not None:
        kind, _, ref = cert.subject.partition(":")
        dwelling_id = int(ref) if kind == "dwelling" and ref.isdigit() else 0
        audit_record(
            user=user,
            action="subsidy.certificate_view",
            object_type="certificate",
            object_id=cert.number,
            channel=channel,
            dwelling_ids=[dwelling_id] if dwelling_id else [],
        )
    return cert
