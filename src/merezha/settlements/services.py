"""Writes of the settlements app: terms, the issue of settlement orders, statement imports and matching.

The rules (commission rounding, purposes, matching) are in docs/reference/settlement-matching.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from merezha.core.money import Money
from merezha.core.roles import OrgKind
from merezha.formats.errors import FormatError
from merezha.organisations.locks import organisations_lock
from merezha.organisations.models import Organisation, ProviderService, User
from merezha.registers.models import Register, RegisterLine
from merezha.settlements.files import statement_read
from merezha.settlements.models import (
    BankCredit,
    BankStatement,
    SettlementMatch,
    SettlementOrder,
    SettlementTerms,
)
from merezha.settlements.rules import (
    PURPOSE_MAX,
    STATEMENT_MAX_BYTES,
    commission_of,
    iban_normal,
    purpose_for,
    purpose_numbers,
)


class SettlementError(ValueError):
    """A refused settlement input (terms, statement): the reason names the file, line or element."""


# --- terms ---------------------------------------------------------------------------------------
def settlement_terms_set(
    *, organisation: Organisation, mode: str, commission_bp: int = 0, by_agent: bool = False
) -> SettlementTerms:
    """Set a payment point's or an operator's terms (applied to the orders issued from then on)."""
    if organisation.kind not in (OrgKind.PAYMENT_POINT, OrgKind.PAYMENT_OPERATOR):
        raise SettlementError(f"{organisation.code} is neither a payment point nor an operator")
    if mode not in SettlementTerms.Mode.values:
        raise SettlementError(f"mode must be gross or net, not {mode!r}")
    if not 0 <= commission_bp <= 10_000:
        raise SettlementError(f"commission_bp must be within 0..10000, not {commission_bp}")
    if mode == SettlementTerms.Mode.GROSS and commission_bp:
        raise SettlementError("a commission needs mode net")
    if by_agent and organisation.kind != OrgKind.PAYMENT_OPERATOR:
        raise SettlementError("only an operator's terms may settle by agent")
    terms, _ = SettlementTerms.objects.update_or_create(
        organisation=organisation,
        defaults={"mode": mode, "commission_bp": commission_bp, "by_agent": by_agent},
    )
    return terms


# --- orders ----------------------------------------------------------------------------------------
def _payer_of(
    point: Organisation, terms: dict[int, SettlementTerms]
) -> tuple[Organisation, SettlementTerms | None, bool]:
    """Who pays a point's takings, on which terms, and whether the payer is the agent."""
    own = terms.get(point.pk)
    if own is not None:
        return point, own, False
    parent = point.parent
    agent_terms = terms.get(parent.pk) if parent is not None else None
    if parent is not None and agent_terms is not None and agent_terms.by_agent:
        return parent, agent_terms, True
    return point, agent_terms, False


def settlement_orders_issue(
    *, day: dt.date | None = None, registers: list[Register] | None = None
) -> list[SettlementOrder]:
    """Issue the settlement orders of the registers (all of `day`'s, or those given) that have none.

    Idempotent: a register's orders are issued once, together, under the lock of its provider's row;
    a second run issues nothing and changes nothing. Runs in the caller's transaction if there is one.
    """
    with transaction.atomic():
        if registers is None:
            if day is None:
                raise ValueError("day or registers")
            registers = list(Register.objects.filter(operational_day=day))
        if not registers:
            return []
        organisations_lock(organisation_ids={r.provider_id for r in registers})
        done = set(
            SettlementOrder.objects.filter(register__in=registers)
            .values_list("register_id", flat=True)
            .distinct()
        )
        pending = sorted((r for r in registers if r.pk not in done), key=lambda r: (r.provider_id, r.number))
        if not pending:
            return []
        return _orders_create(pending)


def _orders_create(registers: list[Register]) -> list[SettlementOrder]:
    sums: dict[int, dict[tuple[str, str], Money]] = defaultdict(dict)
    for row in (
        RegisterLine.objects.filter(register__in=registers)
        .values("register_id", "point_code", "service")
        .annotate(t=Sum("amount"))
        .order_by()
    ):
        t = row["t"]
        sums[row["register_id"]][(row["point_code"], row["service"])] = (
            t if isinstance(t, Money) else Money(int(t))
        )
    codes = {p for s in sums.values() for p, _ in s}
    points = {o.code: o for o in Organisation.objects.filter(code__in=codes).select_related("parent")}
    org_ids = {o.pk for o in points.values()} | {o.parent_id for o in points.values() if o.parent_id}
    terms = {t.organisation_id: t for t in SettlementTerms.objects.filter(organisation_id__in=org_ids)}
    payee = {
        (ps.provider_id, ps.service.code): iban_normal(ps.iban)
        for ps in ProviderService.objects.filter(
            provider_id__in={r.provider_id for r in registers}
        ).select_related("service")
    }
    numbers = dict(
        SettlementOrder.objects.filter(provider_id__in={r.provider_id for r in registers})
        .values("provider_id")
        .annotate(n=Max("number"))
        .values_list("provider_id", "n")
    )
    now = timezone.now()
    orders: list[SettlementOrder] = []
    for reg in registers:
        groups: dict[tuple[int, str], dict[str, Any]] = {}
        for (code, service), amount in sorted(sums.get(reg.pk, {}).items()):
            point = points[code]
            payer, t, agent = _payer_of(point, terms)
            iban = payee.get((reg.provider_id, service), "")
            g = groups.setdefault(
                (payer.pk, iban),
                {"payer": payer, "terms": t, "agent": agent, "points": set(), "subtotal": Money(0)},
            )
            g["points"].add(code)
            g["subtotal"] += amount
        for (_pid, iban), g in sorted(groups.items(), key=lambda kv: (kv[1]["payer"].code, kv[0][1])):
            payer, t = g["payer"], g["terms"]
            bp = t.commission_bp if t is not None and t.mode == SettlementTerms.Mode.NET else 0
            commission = commission_of(subtotal=g["subtotal"], bp=bp)
            payer_iban = iban_normal(payer.iban) or (
                iban_normal(payer.parent.iban) if not g["agent"] and payer.parent_id else ""
            )
            pts = sorted(g["points"])
            numbers[reg.provider_id] = (numbers.get(reg.provider_id) or 0) + 1
            orders.append(
                SettlementOrder(  # type: ignore[misc]  # MoneyField takes Money
                    provider_id=reg.provider_id,
                    number=numbers[reg.provider_id],
                    register=reg,
                    register_number=reg.number,
                    operational_day=reg.operational_day,
                    payer=payer,
                    payer_iban=payer_iban,
                    payee_iban=iban,
                    points=pts,
                    subtotal=g["subtotal"],
                    commission_bp=bp,
                    commission=commission,
                    amount=g["subtotal"] - commission,
                    purpose=purpose_for(
                        register_number=reg.number,
                        day=reg.operational_day,
                        points=pts,
                        agent=payer.code if g["agent"] else "",
                    ),
                    issued_at=now,
                )
            )
    return SettlementOrder.objects.bulk_create(orders)


def settlement_orders_after_registers(*, registers: list[Any], day: dt.date) -> None:
    """The after-registers hook (settings.MEREZHA_AFTER_REGISTERS): the new registers' orders."""
    settlement_orders_issue(registers=list(registers))


# --- statements and matching ---------------------------------------------------------------------
@dataclass
class StatementResult:
    statement: BankStatement
    created: bool
    matched: int = 0
    unexpected: int = 0
    skipped_debits: int = 0
    orders: dict[str, int] = field(default_factory=dict)


def statement_import(*, data: bytes, name: str = "", user: User | None = None) -> StatementResult:
    """Import a bank statement (camt.053 XML or CSV) and match its credits to settlement orders.

    The same file again (same checksum) changes nothing and answers the first import. The same
    statement id with other content is refused. A provider's user may import only credits to its
    own accounts. Any fault refuses the whole file (SettlementError naming where).
    """
    if len(data) > STATEMENT_MAX_BYTES:
        raise SettlementError(f"the file is larger than {STATEMENT_MAX_BYTES // (1024 * 1024)} MB")
    checksum = hashlib.sha256(data).hexdigest()
    existing = BankStatement.objects.filter(checksum=checksum).first()
    if existing is not None:
        return StatementResult(statement=existing, created=False)
    if not data.strip():
        raise SettlementError("the file is empty")
    try:
        fmt, parsed = statement_read(data, name=name)
    except FormatError as exc:
        raise SettlementError(str(exc)) from None
    if len(parsed.statement_id) > 64:
        raise SettlementError(f"the statement id is longer than 64 characters: {parsed.statement_id[:70]!r}")
    for c in parsed.credits:
        if not iban_normal(c.account_iban):
            raise SettlementError(f"credit {c.line}: the account {c.account_iban!r} is not a valid IBAN")
    provider_ids = _providers_of_accounts({c.account_iban for c in parsed.credits})
    if user is not None and getattr(user, "role", "") == "provider":
        own = _accounts_of(int(user.organisation_id or 0))
        foreign = sorted({c.account_iban for c in parsed.credits} - own)
        if foreign:
            raise SettlementError(
                f"the statement has credits to accounts that are not yours: {', '.join(foreign)}"
            )
    try:
        with transaction.atomic():
            # one matcher per provider at a time: the orders' remaining amounts are read under this lock
            organisations_lock(organisation_ids=provider_ids)
            if BankStatement.objects.filter(checksum=checksum).exists():  # a concurrent twin won
                return StatementResult(statement=BankStatement.objects.get(checksum=checksum), created=False)
            if BankStatement.objects.filter(statement_id=parsed.statement_id).exists():
                raise SettlementError(
                    f"statement {parsed.statement_id!r} was imported already with other content"
                )
            stmt = BankStatement.objects.create(  # type: ignore[misc]  # MoneyField takes Money
                statement_id=parsed.statement_id,
                checksum=checksum,
                format=fmt,
                filename=name[:200],
                imported_at=timezone.now(),
                imported_by=user if getattr(user, "pk", None) else None,
                credits=len(parsed.credits),
                total=Money.total(c.amount for c in parsed.credits),
            )
            credits = BankCredit.objects.bulk_create(
                [
                    BankCredit(  # type: ignore[misc]  # MoneyField takes Money
                        statement=stmt,
                        line=c.line,
                        account_iban=c.account_iban,
                        amount=c.amount,
                        value_date=c.value_date,
                        booking_date=c.booking_date,
                        payer_iban=c.payer_iban,
                        payer_name=c.payer_name,
                        purpose=c.purpose,
                        reference=c.reference,
                    )
                    for c in parsed.credits
                ]
            )
            matches = credits_match(credits=credits)
            SettlementMatch.objects.bulk_create(matches)
    except IntegrityError:  # the same statement imported at the same moment (accounts of no provider)
        twin = BankStatement.objects.filter(checksum=checksum).first()
        if twin is None:
            raise SettlementError(
                f"statement {parsed.statement_id!r} was imported already with other content"
            ) from None
        return StatementResult(statement=twin, created=False)
    matched_credits = {m.credit_id for m in matches}
    return StatementResult(
        statement=stmt,
        created=True,
        matched=len(matched_credits),
        unexpected=len(credits) - len(matched_credits),
        skipped_debits=parsed.skipped_debits,
    )


def _providers_of_accounts(accounts: set[str]) -> set[int]:
    ids = set()
    for pid, iban in ProviderService.objects.exclude(iban="").values_list("provider_id", "iban"):
        if iban_normal(iban) in accounts:
            ids.add(pid)
    return ids


def _accounts_of(provider_id: int) -> set[str]:
    return {
        iban_normal(i)
        for i in ProviderService.objects.filter(provider_id=provider_id).values_list("iban", flat=True)
    } - {""}


def _names_point(purpose: str, order: SettlementOrder) -> bool:
    for code in order.points:
        if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", purpose):
            return True
    # a code cut at the end of a purpose of 140 characters
    tail = purpose.rsplit(" ", 1)[-1]
    return len(purpose) >= PURPOSE_MAX and any(code.startswith(tail) for code in order.points if tail)


def credits_match(*, credits: list[BankCredit]) -> list[SettlementMatch]:
    """Match credits to the orders still not fully paid (rules in docs/reference/settlement-matching.md).

    The caller holds the lock of the providers concerned; the matches are returned, not saved.
    """
    if not credits:
        return []
    accounts = {c.account_iban for c in credits}
    latest = max(c.value_date for c in credits)
    window = dt.timedelta(days=int(getattr(settings, "SETTLEMENT_MATCH_WINDOW_DAYS", 60)))
    orders = list(
        SettlementOrder.objects.filter(
            payee_iban__in=accounts,
            operational_day__lte=latest,
            operational_day__gte=min(c.value_date for c in credits) - window,
        ).order_by("operational_day", "provider_id", "number")
    )
    paid: dict[int, Money] = defaultdict(Money)
    for oid, total in (
        SettlementMatch.objects.filter(order__in=orders)
        .values("order_id")
        .annotate(t=Sum("amount"))
        .values_list("order_id", "t")
    ):
        paid[oid] = total if isinstance(total, Money) else Money(int(total))
    pools: dict[tuple[str, str], list[SettlementOrder]] = defaultdict(list)
    for o in orders:
        pools[(o.payee_iban, o.payer_iban)].append(o)
    out: list[SettlementMatch] = []
    for credit in sorted(credits, key=lambda c: c.line):
        pool = [
            o
            for o in pools.get((credit.account_iban, credit.payer_iban), [])
            if o.operational_day <= credit.value_date and paid[o.pk] < o.amount
        ]
        found = _match_one(credit, pool, paid)
        for order, amount, rule in found:
            paid[order.pk] += amount
            out.append(SettlementMatch(order=order, credit=credit, amount=amount, rule=rule))  # type: ignore[misc]
    return out


def _match_one(
    credit: BankCredit, pool: list[SettlementOrder], paid: dict[int, Money]
) -> list[tuple[SettlementOrder, Money, str]]:
    def left(o: SettlementOrder) -> Money:
        return o.amount - paid[o.pk]

    amount = credit.amount
    numbers, cut = purpose_numbers(credit.purpose)
    named = [
        o for o in pool if o.register_number in numbers or (cut and str(o.register_number).startswith(cut))
    ]
    if len(named) > 1:
        by_point = [o for o in named if _names_point(credit.purpose, o)]
        if by_point:
            named = by_point
    if named:
        if Money.total(left(o) for o in named) == amount:
            return [(o, left(o), "reference") for o in named]
        exact = [o for o in named if left(o) == amount]
        if exact:
            return [(exact[0], amount, "reference")]
        pair = _pair(named, amount, left)
        if pair:
            return [(o, left(o), "reference") for o in pair]
        if len(named) == 1 and amount < left(named[0]):
            return [(named[0], amount, "reference")]
    # by amount, value date and payer: one order, or two of different days merged in one transfer
    exact = [o for o in pool if left(o) == amount]
    if exact:
        return [(exact[0], amount, "amount")]
    pair = _pair(pool, amount, left)
    if pair:
        return [(o, left(o), "amount") for o in pair]
    return []


def _pair(
    pool: list[SettlementOrder], amount: Money, left: Any
) -> tuple[SettlementOrder, SettlementOrder] | None:
    """Two orders whose remaining amounts add up to `amount` (the earliest such pair)."""
    seen: dict[int, SettlementOrder] = {}
    for o in pool:
        need = (amount - left(o)).kopecks
        if need in seen:
            return seen[need], o
        seen.setdefault(left(o).kopecks, o)
    return None
