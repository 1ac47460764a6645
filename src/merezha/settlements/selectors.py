"""Reads of the settlements app: orders and their files, statuses, and the four-way reconciliation.

Statuses (docs/reference/settlement-matching.md):
- an order is `matched` (credited in full), `partial` (credited short), `missing` (nothing credited
  `SETTLEMENT_MISSING_AFTER_DAYS` banking days after its operational day) or `pending` (not yet due);
- a credit is `matched` (it pays one or more orders) or `unexpected` (it pays none).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from merezha.core.money import Money
from merezha.core.roles import OrgKind
from merezha.formats.writers import Sheet, xlsx_write
from merezha.organisations.models import Organisation, ProviderService
from merezha.registers.selectors import reconciliation
from merezha.settlements.files import OrderRow
from merezha.settlements.models import BankCredit, SettlementMatch, SettlementOrder, SettlementTerms
from merezha.settlements.rules import banking_days_after, iban_normal

ORDER_STATUSES = ("matched", "partial", "missing", "pending")


def _m(value: Any) -> Money:
    if value is None:
        return Money(0)
    return value if isinstance(value, Money) else Money(int(value))


def settlement_orders(*, day: dt.date, provider_id: int | None = None) -> list[SettlementOrder]:
    """The orders of an operational day (of one provider, if given), by provider and number."""
    qs = SettlementOrder.objects.filter(operational_day=day).select_related("provider", "payer")
    if provider_id is not None:
        qs = qs.filter(provider_id=provider_id)
    return list(qs.order_by("provider__code", "number"))


def order_rows(*, orders: list[SettlementOrder]) -> list[OrderRow]:
    """The orders as the export files need them (only orders with both IBANs can be paid)."""
    return [
        OrderRow(
            number=o.number,
            end_to_end_id=o.end_to_end_id,
            provider=o.provider.code,
            operational_day=o.operational_day,
            register_number=o.register_number,
            payer_code=o.payer.code,
            payer_name=o.payer.name,
            payer_iban=o.payer_iban,
            payee_name=o.provider.name,
            payee_edrpou=o.provider.edrpou,
            payee_iban=o.payee_iban,
            amount=o.amount,
            subtotal=o.subtotal,
            commission=o.commission,
            purpose=o.purpose,
        )
        for o in orders
        if o.payer_iban and o.payee_iban and o.amount.is_positive()
    ]


def _paid(order_ids: list[int]) -> dict[int, Money]:
    return {
        oid: _m(t)
        for oid, t in SettlementMatch.objects.filter(order_id__in=order_ids)
        .values("order_id")
        .annotate(t=Sum("amount"))
        .values_list("order_id", "t")
    }


def order_status(*, order: SettlementOrder, paid: Money, today: dt.date) -> str:
    if paid >= order.amount:
        return "matched"
    if paid.is_positive():
        return "partial"
    due = banking_days_after(
        order.operational_day, int(getattr(settings, "SETTLEMENT_MISSING_AFTER_DAYS", 2))
    )
    return "missing" if today > due else "pending"


@dataclass
class OrderState:
    order: SettlementOrder
    paid: Money
    status: str


def order_states(*, orders: list[SettlementOrder], today: dt.date | None = None) -> list[OrderState]:
    today = today or timezone.localdate()
    paid = _paid([o.pk for o in orders])
    return [
        OrderState(
            order=o,
            paid=paid.get(o.pk, Money(0)),
            status=order_status(order=o, paid=paid.get(o.pk, Money(0)), today=today),
        )
        for o in orders
    ]


def unexpected_credits(*, accounts: set[str] | None, day_from: dt.date, day_to: dt.date) -> list[BankCredit]:
    """Credits that pay no order, by value date within the range (to the given accounts, if any)."""
    qs = BankCredit.objects.filter(value_date__gte=day_from, value_date__lte=day_to, matches__isnull=True)
    if accounts is not None:
        qs = qs.filter(account_iban__in=accounts)
    return list(qs.select_related("statement").order_by("value_date", "statement_id", "line"))


def provider_accounts(*, provider_id: int) -> set[str]:
    return {
        iban_normal(i)
        for i in ProviderService.objects.filter(provider_id=provider_id).values_list("iban", flat=True)
    } - {""}


@dataclass
class SettlementRow:
    """One payer's (point's or agent's) takings for one provider on one day, four ways."""

    day: dt.date
    provider: str
    payer: str
    points: list[str]
    takings: Money = Money(0)  # accepted − cancelled at the points
    registered: Money = Money(0)
    registers: list[int] = field(default_factory=list)
    acknowledged: str = ""  # the register's inbox status: delivered / read / acknowledged ("" none)
    ordered: Money = Money(0)  # the orders' amounts (after commission)
    commission: Money = Money(0)
    credited: Money = Money(0)
    status: str = "no_order"  # matched / partial / missing / pending / no_order

    @property
    def problem(self) -> bool:
        """Money short or late, or a register that does not match the points (not just unacknowledged)."""
        return self.takings != self.registered or self.status in ("missing", "partial", "no_order")

    @property
    def ok(self) -> bool:
        return (
            self.takings == self.registered
            and self.acknowledged == "acknowledged"
            and self.status == "matched"
            and self.credited == self.ordered
        )


@dataclass
class SettlementReconciliation:
    day: dt.date
    provider: str | None
    rows: list[SettlementRow] = field(default_factory=list)
    unexpected: list[BankCredit] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)


_ACK_RANK = {"delivered": 0, "read": 1, "acknowledged": 2}
_WORST = {"missing": 0, "partial": 1, "pending": 2, "no_order": 3, "matched": 4}


def settlement_reconciliation(
    *, day: dt.date, provider: Organisation | None = None, today: dt.date | None = None
) -> SettlementReconciliation:
    """Point ↔ register ↔ provider's acknowledgement ↔ bank credit for `day` (one provider, or all)."""
    today = today or timezone.localdate()
    out = SettlementReconciliation(day=day, provider=provider.code if provider else None)
    orders = settlement_orders(day=day, provider_id=provider.pk if provider else None)
    states = order_states(orders=orders, today=today)
    reg_ids = {o.register_id for o in orders}
    from merezha.registers.models import Register

    regs = {r.pk: r for r in Register.objects.filter(pk__in=reg_ids).select_related("document")}
    rows: dict[tuple[str, str], SettlementRow] = {}
    payer_of: dict[tuple[str, str], str] = {}
    for st in states:
        o = st.order
        key = (o.provider.code, o.payer.code)
        row = rows.setdefault(
            key, SettlementRow(day=day, provider=o.provider.code, payer=o.payer.code, points=[])
        )
        row.points = sorted(set(row.points) | set(o.points))
        if o.register_number not in row.registers:
            row.registers.append(o.register_number)
        reg = regs[o.register_id]
        doc_status = reg.document.status if reg.document else "delivered"
        if not row.acknowledged or _ACK_RANK[doc_status] < _ACK_RANK[row.acknowledged]:
            row.acknowledged = doc_status  # the least advanced of the row's registers
        row.ordered += o.amount
        row.commission += o.commission
        row.credited += st.paid
        row.status = (
            st.status if row.status == "no_order" or _WORST[st.status] < _WORST[row.status] else row.status
        )
        for p in o.points:
            payer_of[(o.provider.code, p)] = o.payer.code
    rec = reconciliation(day_from=day, day_to=day)
    for r in rec.rows:
        if provider is not None and r.provider != provider.code:
            continue
        payer = payer_of.get((r.provider, r.point), r.point)
        row = rows.setdefault(
            (r.provider, payer), SettlementRow(day=day, provider=r.provider, payer=payer, points=[r.point])
        )
        row.takings += r.expected
        row.registered += r.registered
    out.rows = [rows[k] for k in sorted(rows)]
    accounts = provider_accounts(provider_id=provider.pk) if provider else None
    out.unexpected = unexpected_credits(
        accounts=accounts,
        day_from=day,
        day_to=banking_days_after(day, int(getattr(settings, "SETTLEMENT_MISSING_AFTER_DAYS", 2)) + 5),
    )
    return out


def settlement_status_by_provider(*, day: dt.date, today: dt.date | None = None) -> dict[str, dict[str, int]]:
    """For the exchange monitor: per provider code, how many of `day`'s orders are in each status."""
    found: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ORDER_STATUSES, 0))
    for st in order_states(orders=settlement_orders(day=day), today=today):
        found[st.order.provider.code][st.status] += 1
    return dict(found)


XLSX_HEADER = [
    "День",
    "Надавач",
    "Платник (пункт або агент)",
    "Пункти",
    "Прийнято пунктами, грн",
    "За реєстром, грн",
    "Реєстри №",
    "Підтвердження надавача",
    "До переказу, грн",
    "Комісія, грн",
    "Зараховано банком, грн",
    "Стан",
]
STATUS_UK = {
    "matched": "зараховано",
    "partial": "зараховано частково",
    "missing": "не надійшло",
    "pending": "очікується",
    "no_order": "без доручення",
    "unexpected": "неочікуване надходження",
    "acknowledged": "підтверджено",
    "read": "прочитано",
    "delivered": "доставлено",
    "": "—",
}


def settlement_reconciliation_xlsx(*, rec: SettlementReconciliation, path: str) -> int:
    """The reconciliation as XLSX with Ukrainian headers (a second sheet lists unexpected credits)."""
    rows = [
        [
            r.day.strftime("%d.%m.%Y"),
            r.provider,
            r.payer,
            ", ".join(r.points),
            r.takings.amount,
            r.registered.amount,
            ", ".join(str(n) for n in r.registers),
            STATUS_UK.get(r.acknowledged, r.acknowledged),
            r.ordered.amount,
            r.commission.amount,
            r.credited.amount,
            STATUS_UK.get(r.status, r.status),
        ]
        for r in rec.rows
    ]
    extra = [
        [
            c.value_date.strftime("%d.%m.%Y"),
            c.account_iban,
            c.payer_iban,
            c.amount.amount,
            c.purpose,
            c.statement.statement_id,
        ]
        for c in rec.unexpected
    ]
    xlsx_write(
        path,
        sheets=[
            Sheet("Звірка", rows, header=XLSX_HEADER),
            Sheet(
                "Неочікувані",
                extra,
                header=[
                    "Дата валютування",
                    "Рахунок отримувача",
                    "Рахунок платника",
                    "Сума, грн",
                    "Призначення",
                    "Виписка",
                ],
            ),
        ],
    )
    return len(rows)


def settlement_scope(*, user: Any, provider_code: str) -> tuple[Organisation | None, bool]:
    """Which provider `user` may see: (provider or None for all, allowed).

    An admin sees any provider (or all when no code is given); a provider only its own — another's
    code is not allowed (callers answer 404, as for an unknown code)."""
    code = (provider_code or "").strip()
    if getattr(user, "role", "") == "provider":
        own = user.organisation
        return (own, True) if code in ("", own.code) else (None, False)
    if not code:
        return None, True
    found = Organisation.objects.filter(code=code, kind="provider").first()
    return found, found is not None


def settlement_orders_file(*, day: dt.date, provider_id: int | None, fmt: str, path: str, name: str) -> int:
    """Write the day's payable orders (of one provider, if given) as pain.001 (fmt "pain001") or
    CSV (fmt "csv") to `path`; `name` goes into the pain.001 message id. Returns the order count."""
    from merezha.settlements.files import orders_csv_write, pain001_write

    rows = order_rows(orders=settlement_orders(day=day, provider_id=provider_id))
    if fmt == "csv":
        return orders_csv_write(path, orders=rows)
    with open(path, "wb") as fh:
        return pain001_write(
            fh,
            message_id=f"MRZ-{day:%Y%m%d}-{name}",
            orders=rows,
            created=timezone.now(),
            execution=banking_days_after(day, 1),
        )


@dataclass(frozen=True)
class TermsRow:
    """A payment point or an operator with its settlement terms (None: the operator's, or gross)."""

    organisation: Organisation
    terms: SettlementTerms | None

    @property
    def percent(self) -> Decimal | None:
        """The commission in per cent (125 bp: 1.25), None without net terms."""
        if self.terms is None or self.terms.mode != SettlementTerms.Mode.NET:
            return None
        return Decimal(self.terms.commission_bp).scaleb(-2)


def settlement_terms_list() -> list[TermsRow]:
    """Every payment operator and active payment point, operators first, each followed by its
    points, with the terms set for it (a point without its own settles on its operator's terms)."""
    orgs = list(
        Organisation.objects.filter(
            kind__in=(OrgKind.PAYMENT_OPERATOR, OrgKind.PAYMENT_POINT), is_active=True
        ).order_by("code")
    )
    terms = {t.organisation_id: t for t in SettlementTerms.objects.filter(organisation__in=orgs)}
    operators = [o for o in orgs if o.kind == OrgKind.PAYMENT_OPERATOR]
    rows: list[TermsRow] = []
    for operator in operators:
        rows.append(TermsRow(operator, terms.get(operator.pk)))
        rows += [TermsRow(o, terms.get(o.pk)) for o in orgs if o.parent_id == operator.pk]
    placed = {r.organisation.pk for r in rows}
    rows += [TermsRow(o, terms.get(o.pk)) for o in orgs if o.pk not in placed]
    return rows
