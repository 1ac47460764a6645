"""The subsidy debt rule, pure: figures in, verdict out (no database).

Resolution 848, п.14, as applied since 2025 (the default parameters): a subsidy is blocked when the
household's debt at any service is overdue more than `months` months and the overdue total exceeds
the threshold (680.00 UAH; 4,000.00 UAH for large, foster and family-type-home families), unless that
debt is paid, restructured under an agreement, or contested in court.

Overdue part of one account = max(0, current debt − what was billed in the last `months` periods),
billed = charged + recalc − benefit − subsidy. The periods are the `months` calendar months ending
with the account's latest period. When any of them is missing from the history (or has no charge
figures), the overdue part is unknown: such an account never blocks on its own, and when nothing
else blocks the verdict is `insufficient_history` (to be decided by a person), never `clear`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils.translation import gettext as _

from merezha.core.money import Money

CLEAR = "clear"
BLOCKED = "blocked"
INSUFFICIENT_HISTORY = "insufficient_history"

LARGE_FAMILY_TYPES = frozenset({"large", "foster", "family_home"})


def month_back(period: dt.date, months: int) -> dt.date:
    """The first day of the month `months` months before `period`'s month."""
    index = period.year * 12 + (period.month - 1) - months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class RuleParams:
    id: int
    valid_from: dt.date
    months: int
    threshold: Money
    threshold_large_family: Money
    exemptions_enabled: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "valid_from": self.valid_from.isoformat(),
            "months": self.months,
            "threshold": str(self.threshold),
            "threshold_large_family": str(self.threshold_large_family),
            "exemptions_enabled": self.exemptions_enabled,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleParams:
        return cls(
            id=data["id"],
            valid_from=dt.date.fromisoformat(data["valid_from"]),
            months=data["months"],
            threshold=Money.parse(data["threshold"]),
            threshold_large_family=Money.parse(data["threshold_large_family"]),
            exemptions_enabled=data["exemptions_enabled"],
        )


@dataclass(frozen=True)
class ExemptionInfo:
    kind: str
    valid_from: dt.date
    valid_to: dt.date | None
    note: str = ""


@dataclass(frozen=True)
class AccountFigures:
    """What the rule needs of one account: its current debt and the billed amount of each period."""

    account_id: int
    provider_code: str
    provider_name: str
    service_code: str
    number: str
    debt: Money
    latest_period: dt.date
    #: period (first day of month) → billed amount, or None when the period has no charge figures.
    billed: Mapping[dt.date, Money | None] = field(default_factory=dict)
    exemption: ExemptionInfo | None = None
    #: the provider's figures include network payments through this day (its snapshot's payments_through)
    as_of: dt.date | None = None
    #: the service as people call it (Водопостачання); pages show it, files and the API the code
    service_name: str = ""


@dataclass(frozen=True)
class AccountStatus:
    account_id: int
    provider_code: str
    provider_name: str
    service_code: str
    number: str
    debt: Money
    #: billed in the last `months` periods (None: history incomplete)
    billed_recent: Money | None
    #: debt beyond the last `months` periods' charges (None: unknown)
    overdue: Money | None
    #: how many months of charges the debt spans; `months_beyond_history`: older than the whole history
    months_in_debt: int
    months_beyond_history: bool
    exempt: bool
    exemption: ExemptionInfo | None
    latest_period: dt.date | None = None
    as_of: dt.date | None = None
    #: the service as people call it; not part of `as_dict` (the API and payloads carry the code)
    service_name: str = ""

    @property
    def service_label(self) -> str:
        return self.service_name or self.service_code

    def as_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "provider": self.provider_code,
            "provider_name": self.provider_name,
            "service": self.service_code,
            "account": self.number,
            "period": self.latest_period.strftime("%Y-%m") if self.latest_period else None,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "debt": str(self.debt),
            "billed_recent": None if self.billed_recent is None else str(self.billed_recent),
            "overdue": None if self.overdue is None else str(self.overdue),
            "months_in_debt": self.months_in_debt,
            "months_beyond_history": self.months_beyond_history,
            "exempt": self.exempt,
            "exemption": None
            if self.exemption is None
            else {
                "kind": self.exemption.kind,
                "from": self.exemption.valid_from.isoformat(),
                "to": self.exemption.valid_to.isoformat() if self.exemption.valid_to else None,
                "note": self.exemption.note,
            },
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], service_names: Mapping[str, str] | None = None
    ) -> AccountStatus:
        """The account as `as_dict` wrote it (a certificate's payload); names of services looked up by code."""

        def money(key: str) -> Money | None:
            return None if data.get(key) is None else Money.parse(data[key])

        def date(key: str) -> dt.date | None:
            return dt.date.fromisoformat(data[key]) if data.get(key) else None

        ex = data.get("exemption")
        return cls(
            account_id=data["account_id"],
            provider_code=data["provider"],
            provider_name=data.get("provider_name") or data["provider"],
            service_code=data["service"],
            number=data["account"],
            debt=Money.parse(data["debt"]),
            billed_recent=money("billed_recent"),
            overdue=money("overdue"),
            months_in_debt=data["months_in_debt"],
            months_beyond_history=data["months_beyond_history"],
            exempt=data["exempt"],
            exemption=None
            if not ex
            else ExemptionInfo(
                ex["kind"],
                dt.date.fromisoformat(ex["from"]),
                dt.date.fromisoformat(ex["to"]) if ex.get("to") else None,
                ex.get("note", ""),
            ),
            latest_period=dt.date.fromisoformat(data["period"] + "-01") if data.get("period") else None,
            as_of=date("as_of"),
            service_name=(service_names or {}).get(data["service"], ""),
        )


@dataclass(frozen=True)
class Verdict:
    status: str
    application_date: dt.date
    family_type: str
    parameters: RuleParams
    threshold: Money
    debt_total: Money
    overdue_total: Money
    accounts: list[AccountStatus]
    explanation: list[str]

    @property
    def blocked(self) -> bool:
        return self.status == BLOCKED

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "blocked": self.blocked,
            "application_date": self.application_date.isoformat(),
            "family_type": self.family_type,
            "parameters": self.parameters.as_dict(),
            "threshold": str(self.threshold),
            "debt_total": str(self.debt_total),
            "overdue_total": str(self.overdue_total),
            "accounts": [a.as_dict() for a in self.accounts],
            "explanation": list(self.explanation),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], service_names: Mapping[str, str] | None = None) -> Verdict:
        """The verdict as `as_dict` wrote it (a certificate's payload); service names looked up by code."""
        return cls(
            status=data["status"],
            application_date=dt.date.fromisoformat(data["application_date"]),
            family_type=data["family_type"],
            parameters=RuleParams.from_dict(data["parameters"]),
            threshold=Money.parse(data["threshold"]),
            debt_total=Money.parse(data["debt_total"]),
            overdue_total=Money.parse(data["overdue_total"]),
            accounts=[AccountStatus.from_dict(a, service_names) for a in data["accounts"]],
            explanation=list(data.get("explanation", [])),
        )

    def readable_explanation(self) -> list[str]:
        """The explanation for people: services by name, amounts as `1 234,56` (pages, printed certificates)."""
        return verdict_explanation(self, readable=True)


def account_overdue(
    *, debt: Money, latest_period: dt.date, billed: Mapping[dt.date, Money | None], months: int
) -> tuple[Money | None, Money | None, int, bool]:
    """(billed in the last `months` periods, overdue part, months the debt spans, beyond history?)."""
    if not debt.is_positive():
        return None, Money(0), 0, False
    recent: Money | None = Money(0)
    for back in range(months):
        amount = billed.get(month_back(latest_period, back))
        recent = None if amount is None or recent is None else recent + amount
    overdue = None if recent is None else max(Money(0), debt - recent)
    covered, spanned = Money(0), 0
    while True:
        amount = billed.get(month_back(latest_period, spanned))
        if amount is None:
            return recent, overdue, spanned, True
        covered = covered + amount
        spanned += 1
        if covered >= debt:
            return recent, overdue, spanned, False


def _exempt_on(exemption: ExemptionInfo | None, on: dt.date) -> bool:
    if exemption is None:
        return False
    return exemption.valid_from <= on and (exemption.valid_to is None or on <= exemption.valid_to)


def verdict_compute(
    *,
    accounts: Iterable[AccountFigures],
    params: RuleParams,
    application_date: dt.date,
    family_type: str = "regular",
    explain: bool = True,
) -> Verdict:
    """Apply the rule to one household's accounts, explaining every figure that decided it.

    With `explain=False` (batch checks) the explanation is only the summary sentence. The explanation
    is written for the API and the answer files (service codes, amounts `1234.56`); pages ask the
    verdict for `readable_explanation()`.
    """
    large = family_type in LARGE_FAMILY_TYPES
    threshold = params.threshold_large_family if large else params.threshold
    statuses: list[AccountStatus] = []
    debt_total, overdue_total = Money(0), Money(0)
    unknown = 0
    for acc in accounts:
        recent, overdue, spanned, beyond = account_overdue(
            debt=acc.debt, latest_period=acc.latest_period, billed=acc.billed, months=params.months
        )
        exempt = (
            params.exemptions_enabled
            and acc.debt.is_positive()
            and _exempt_on(acc.exemption, application_date)
        )
        status = AccountStatus(
            account_id=acc.account_id,
            provider_code=acc.provider_code,
            provider_name=acc.provider_name,
            service_code=acc.service_code,
            number=acc.number,
            debt=acc.debt,
            billed_recent=recent,
            overdue=overdue,
            months_in_debt=spanned,
            months_beyond_history=beyond,
            exempt=exempt,
            exemption=acc.exemption if exempt else None,
            latest_period=acc.latest_period,
            as_of=acc.as_of,
            service_name=acc.service_name,
        )
        statuses.append(status)
        debt_total = debt_total + acc.debt
        if acc.debt.is_positive() and not exempt:
            if overdue is None:
                unknown += 1
            else:
                overdue_total = overdue_total + overdue
    if overdue_total > threshold:
        status_code = BLOCKED
    elif unknown:
        status_code = INSUFFICIENT_HISTORY
    else:
        status_code = CLEAR
    verdict = Verdict(
        status=status_code,
        application_date=application_date,
        family_type=family_type,
        parameters=params,
        threshold=threshold,
        debt_total=debt_total,
        overdue_total=overdue_total,
        accounts=statuses,
        explanation=[],
    )
    if explain:
        return replace(verdict, explanation=verdict_explanation(verdict))
    return replace(verdict, explanation=[_summary(status_code, overdue_total, threshold, unknown, str)])


def verdict_explanation(verdict: Verdict, *, readable: bool = False) -> list[str]:
    """The rule in force, one line per account with every figure that decided it, and the summary.

    `readable=False`: services by code and amounts as `1234.56` (the API, answer files, payloads);
    `readable=True`: services by name and amounts as `1 234,56` (pages and printed certificates).
    """
    money: Callable[[Money], str] = Money.display if readable else Money.__str__
    large = verdict.family_type in LARGE_FAMILY_TYPES
    months = verdict.parameters.months
    unknown = sum(1 for a in verdict.accounts if a.debt.is_positive() and not a.exempt and a.overdue is None)
    return [
        _rule_line(verdict.parameters, verdict.application_date, verdict.threshold, large, money),
        *(
            _account_line(a, months, money, a.service_label if readable else a.service_code)
            for a in verdict.accounts
        ),
        _summary(verdict.status, verdict.overdue_total, verdict.threshold, unknown, money),
    ]


def _summary(status: str, total: Money, threshold: Money, unknown: int, money: Callable[[Money], str]) -> str:
    figures = {"total": money(total), "threshold": money(threshold)}
    if status == BLOCKED:
        return _("Overdue total %(total)s exceeds %(threshold)s: the subsidy is blocked.") % figures
    if status == INSUFFICIENT_HISTORY:
        return _(
            "Overdue total %(total)s does not exceed %(threshold)s, but %(n)d account(s) lack the "
            "history to tell the overdue part: a person must decide."
        ) % {**figures, "n": unknown}
    return (
        _("Overdue total %(total)s does not exceed %(threshold)s: debt does not block the subsidy.") % figures
    )


def _rule_line(
    params: RuleParams,
    application_date: dt.date,
    threshold: Money,
    large: bool,
    money: Callable[[Money], str],
) -> str:
    family = _("large, foster or family-type-home family") if large else _("regular family")
    rule = _(
        "Rule in force on %(date)s (parameters from %(valid_from)s): debt overdue more than %(months)d "
        "months blocks when the overdue total exceeds %(threshold)s (%(family)s)."
    ) % {
        "date": application_date.isoformat(),
        "valid_from": params.valid_from.isoformat(),
        "months": params.months,
        "threshold": money(threshold),
        "family": family,
    }
    return rule


def _account_line(status: AccountStatus, months: int, money: Callable[[Money], str], service: str) -> str:
    head = _("%(service)s, %(provider)s, account %(account)s") % {
        "service": service,
        "provider": status.provider_name,
        "account": status.number,
    }
    if not status.debt.is_positive():
        return _("%(head)s: no debt (%(debt)s).") % {"head": head, "debt": money(status.debt)}
    spanned, beyond = status.months_in_debt, status.months_beyond_history
    if not beyond:
        span = _("the debt spans %(n)d month(s) of charges") % {"n": spanned}
    elif not spanned:
        span = _("there is no charge history")
    else:
        span = _("the debt is older than the %(n)d month(s) of history") % {"n": spanned}
    if status.overdue is None:
        text = _(
            "%(head)s: debt %(debt)s; fewer than %(months)d months of charges in the history, "
            "the overdue part is unknown; %(span)s."
        ) % {"head": head, "debt": money(status.debt), "months": months, "span": span}
    else:
        text = _(
            "%(head)s: debt %(debt)s, charged in the last %(months)d months %(recent)s, "
            "overdue %(overdue)s; %(span)s."
        ) % {
            "head": head,
            "debt": money(status.debt),
            "months": months,
            "recent": "?" if status.billed_recent is None else money(status.billed_recent),
            "overdue": money(status.overdue),
            "span": span,
        }
    if status.exempt and status.exemption is not None:
        kind = (
            _("restructuring agreement")
            if status.exemption.kind == "restructuring"
            else _("contested in court")
        )
        text += " " + _("Not counted: %(kind)s from %(from)s.") % {
            "kind": kind,
            "from": status.exemption.valid_from.isoformat(),
        }
    return text
