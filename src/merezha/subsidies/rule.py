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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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

    With `explain=False` (batch checks) the explanation is only the summary sentence.
    """
    large = family_type in LARGE_FAMILY_TYPES
    threshold = params.threshold_large_family if large else params.threshold
    statuses: list[AccountStatus] = []
    lines: list[str] = []
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
        )
        statuses.append(status)
        debt_total = debt_total + acc.debt
        if acc.debt.is_positive() and not exempt:
            if overdue is None:
                unknown += 1
            else:
                overdue_total = overdue_total + overdue
        if explain:
            lines.append(_account_line(acc, status, params.months))
    if overdue_total > threshold:
        verdict = BLOCKED
        summary = _("Overdue total %(total)s exceeds %(threshold)s: the subsidy is blocked.") % {
            "total": overdue_total,
            "threshold": threshold,
        }
    elif unknown:
        verdict = INSUFFICIENT_HISTORY
        summary = _(
            "Overdue total %(total)s does not exceed %(threshold)s, but %(n)d account(s) lack the "
            "history to tell the overdue part: a person must decide."
        ) % {"total": overdue_total, "threshold": threshold, "n": unknown}
    else:
        verdict = CLEAR
        summary = _(
            "Overdue total %(total)s does not exceed %(threshold)s: debt does not block the subsidy."
        ) % {
            "total": overdue_total,
            "threshold": threshold,
        }
    explanation = [summary]
    if explain:
        explanation = [_rule_line(params, application_date, threshold, large), *lines, summary]
    return Verdict(
        status=verdict,
        application_date=application_date,
        family_type=family_type,
        parameters=params,
        threshold=threshold,
        debt_total=debt_total,
        overdue_total=overdue_total,
        accounts=statuses,
        explanation=explanation,
    )


def _rule_line(params: RuleParams, application_date: dt.date, threshold: Money, large: bool) -> str:
    family = _("large, foster or family-type-home family") if large else _("regular family")
    rule = _(
        "Rule in force on %(date)s (parameters from %(valid_from)s): debt overdue more than %(months)d "
        "months blocks when the overdue total exceeds %(threshold)s (%(family)s)."
    ) % {
        "date": application_date.isoformat(),
        "valid_from": params.valid_from.isoformat(),
        "months": params.months,
        "threshold": threshold,
        "family": family,
    }
    return rule


def _account_line(acc: AccountFigures, status: AccountStatus, months: int) -> str:
    head = _("%(service)s, %(provider)s, account %(account)s") % {
        "service": acc.service_code,
        "provider": acc.provider_name,
        "account": acc.number,
    }
    if not acc.debt.is_positive():
        return _("%(head)s: no debt (%(debt)s).") % {"head": head, "debt": acc.debt}
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
        ) % {"head": head, "debt": acc.debt, "months": months, "span": span}
    else:
        text = _(
            "%(head)s: debt %(debt)s, charged in the last %(months)d months %(recent)s, "
            "overdue %(overdue)s; %(span)s."
        ) % {
            "head": head,
            "debt": acc.debt,
            "months": months,
            "recent": status.billed_recent,
            "overdue": status.overdue,
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
