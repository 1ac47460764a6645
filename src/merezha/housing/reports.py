"""Reports of the housing office (reads): rent debt by building, debtors, beneficiaries, the rent
recalculation for temporary absence, dwellings with rent and registration out of step, and the
series the charts draw.

Rules (docs/explanation/housing-reports.md):

- *Rent* is the network service `rent`; a dwelling's rent accounts are the active `rent` accounts
  matched to it. *Current debt* comes from `payments.selectors.account_debts` (closing minus
  network payments after `payments_through`), fetched for many accounts at once.
- *Monthly charge* of an account is `charged` of its period in the snapshot in force
  (`AccountPeriod.period == Account.snapshot.period`).
- *Months of debt* = current debt ÷ monthly charge, whole months, rounded down; unknown (None)
  when the account has no positive charge in force.
- *Recalculation*: for each recorded absence and each month it touches,
  amount = charge × absent days ÷ (days in month × persons registered on the first absent day
  of that month), rounded half up to the kopeck.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum

from merezha.core.money import Money
from merezha.housing.models import Absence
from merezha.organisations.models import Organisation
from merezha.providers.models import Account, AccountPeriod
from merezha.registry.models import BenefitCategory, Building, Dwelling, Person

RENT = "rent"
DEBT_CHUNK = 5000
ONE_KOPECK = Money(1)


def debts_of(account_ids: list[int]) -> dict[int, Money]:
    """Current debt of many accounts, asked of the payments app in chunks (one query each)."""
    from merezha.payments.selectors import account_debts

    out: dict[int, Money] = {}
    for start in range(0, len(account_ids), DEBT_CHUNK):
        out.update(account_debts(account_ids=account_ids[start : start + DEBT_CHUNK]))
    return out


def _m(value: object) -> Money:
    """An aggregate or annotation as Money (databases hand back Money, int or Decimal)."""
    if value is None:
        return Money(0)
    if isinstance(value, Money):
        return value
    return Money(int(value))  # type: ignore[call-overload]


def _address(street_type: str, street_name: str, house: str, apartment: str) -> str:
    text = f"{street_type} {street_name}, {house}"
    return text + (f", кв. {apartment}" if apartment else "")


def _current_charge() -> Subquery:
    return Subquery(
        AccountPeriod.objects.filter(account_id=OuterRef("pk"), period=OuterRef("snapshot__period"))
        .order_by("-id")
        .values("charged")[:1]
    )


def rent_accounts(
    *,
    office: Organisation | None,
    street_id: int | None = None,
    building_id: int | None = None,
) -> QuerySet[Account]:
    """Active rent accounts in active dwellings (of the office, or city-wide when office is None)."""
    qs = Account.objects.filter(is_active=True, service__code=RENT, dwelling__is_active=True)
    if office is not None:
        qs = qs.filter(dwelling__office=office)
    if street_id:
        qs = qs.filter(dwelling__building__street_id=street_id)
    if building_id:
        qs = qs.filter(dwelling__building_id=building_id)
    return qs


# --- rent debt by building -------------------------------------------------------------------


@dataclass
class BuildingDebt:
    building_id: int
    address: str
    dwellings: int
    accounts: int
    debtors: int
    debt: Money
    overpaid: Money


def rent_debt_by_building(*, office: Organisation, street_id: int | None = None) -> list[BuildingDebt]:
    """Per building of the office: dwellings, rent accounts, debtors, total debt and overpayment."""
    buildings = Building.objects.filter(dwellings__office=office, dwellings__is_active=True)
    if street_id:
        buildings = buildings.filter(street_id=street_id)
    rows: dict[int, BuildingDebt] = {}
    for bid, stype, sname, number, n in (
        buildings.values_list("id", "street__type", "street__name", "number")
        .annotate(n=Count("dwellings"))
        .order_by("street__name", "key")
    ):
        rows[bid] = BuildingDebt(bid, f"{stype} {sname}, {number}", n, 0, 0, Money(0), Money(0))
    accounts = list(
        rent_accounts(office=office, street_id=street_id).values_list("id", "dwelling__building_id")
    )
    debts = debts_of([a for a, _ in accounts])
    for account_id, bid in accounts:
        row = rows.get(bid)
        if row is None:
            continue
        debt = debts.get(account_id, Money(0))
        row.accounts += 1
        if debt.is_positive():
            row.debtors += 1
            row.debt += debt
        elif debt.is_negative():
            row.overpaid += -debt
    return list(rows.values())


# --- debtors -----------------------------------------------------------------------------------


@dataclass
class Debtor:
    account_id: int
    dwelling_id: int
    office_code: str
    dwelling: str
    address: str
    account: str
    payer: str
    registered: int
    charge: Money | None
    debt: Money
    months: int | None


def months_of_debt(debt: Money, charge: Money | None) -> int | None:
    if charge is None or not charge.is_positive():
        return None
    return max(debt.kopecks, 0) // charge.kopecks


def _debtor_rows(
    qs: QuerySet[Account], *, office: Organisation | None, chunk: int = DEBT_CHUNK
) -> Iterator[tuple[dict, Money]]:
    """(account row with its monthly charge and registered persons, current debt) for the accounts
    of `qs`, in its order, a chunk at a time (one debt query per chunk). The monthly charges in
    force and the persons per dwelling are read once, each with one query, as small lookups."""
    charges = dict(
        AccountPeriod.objects.filter(account__in=qs.values("id"), period=F("account__snapshot__period"))
        .order_by("id")
        .values_list("account_id", "charged")
    )
    people = Person.objects.filter(is_active=True, dwelling__is_active=True)
    if office is not None:
        people = people.filter(dwelling__office=office)
    persons = dict(people.values("dwelling_id").annotate(n=Count("id")).values_list("dwelling_id", "n"))
    rows = qs.values(
        "id",
        "dwelling_id",
        "dwelling__office__code",
        "dwelling__office_ref",
        "dwelling__building__street__type",
        "dwelling__building__street__name",
        "dwelling__building__number",
        "dwelling__apartment",
        "number",
        "payer",
    )
    batch: list[dict] = []

    def flush() -> Iterator[tuple[dict, Money]]:
        debts = debts_of([r["id"] for r in batch])
        for r in batch:
            r["charge"] = charges.get(r["id"])
            r["persons"] = persons.get(r["dwelling_id"], 0)
            yield r, debts.get(r["id"], Money(0))

    for r in rows.iterator(chunk_size=chunk):
        batch.append(dict(r))
        if len(batch) >= chunk:
            yield from flush()
            batch = []
    if batch:
        yield from flush()


def _debtor(r: dict, debt: Money) -> Debtor:
    charge = None if r["charge"] is None else _m(r["charge"])
    return Debtor(
        account_id=r["id"],
        dwelling_id=r["dwelling_id"],
        office_code=r["dwelling__office__code"],
        dwelling=r["dwelling__office_ref"],
        address=_address(
            r["dwelling__building__street__type"],
            r["dwelling__building__street__name"],
            r["dwelling__building__number"],
            r["dwelling__apartment"],
        ),
        account=r["number"],
        payer=r["payer"],
        registered=r["persons"] or 0,
        charge=charge,
        debt=debt,
        months=months_of_debt(debt, charge),
    )


def debtors_iter(
    *,
    office: Organisation | None,
    min_debt: Money = ONE_KOPECK,
    min_months: int = 0,
    street_id: int | None = None,
    building_id: int | None = None,
) -> Iterator[Debtor]:
    """Rent debtors in address order, streamed (city-wide when office is None).

    A debtor owes at least `min_debt` (and always more than zero) and, when `min_months` > 0,
    owes at least that many whole monthly charges.
    """
    floor = max(min_debt.kopecks, 1)
    # current debt = closing − network payments since, and payments are positive: an account whose
    # closing is below the floor cannot owe it, so it is not even read
    qs = (
        rent_accounts(office=office, street_id=street_id, building_id=building_id)
        .filter(closing__gte=floor)
        .order_by(
            "dwelling__building__street__name",
            "dwelling__building__key",
            "dwelling__apartment_key",
            "number",
        )
    )
    for r, debt in _debtor_rows(qs, office=office):
        if debt.kopecks < floor:
            continue
        d = _debtor(r, debt)
        if min_months > 0 and (d.months is None or d.months < min_months):
            continue
        yield d


def debtors_list(
    *,
    office: Organisation | None,
    min_debt: Money = ONE_KOPECK,
    min_months: int = 0,
    street_id: int | None = None,
    building_id: int | None = None,
) -> list[Debtor]:
    """Debtors, the largest debt first."""
    found = list(
        debtors_iter(
            office=office,
            min_debt=min_debt,
            min_months=min_months,
            street_id=street_id,
            building_id=building_id,
        )
    )
    found.sort(key=lambda d: (-d.debt.kopecks, d.address))
    return found


# --- beneficiaries ----------------------------------------------------------------------------


@dataclass
class Beneficiary:
    person_id: int
    dwelling_id: int
    full_name: str
    birth_date: dt.date | None
    category: str
    category_name: str
    address: str


def beneficiaries(
    *, office: Organisation, category: str = ""
) -> tuple[list[Beneficiary], list[tuple[str, str, int]]]:
    """(registered persons with a benefit category, by category and address; count per category)."""
    base = Person.objects.filter(is_active=True, dwelling__office=office, benefit__isnull=False)
    counts = [
        (r["benefit__code"], r["benefit__name"], r["n"])
        for r in base.values("benefit__code", "benefit__name")
        .annotate(n=Count("id"))
        .order_by("benefit__code")
    ]
    if category:
        base = base.filter(benefit__code=category)
    rows = [
        Beneficiary(
            person_id=p["id"],
            dwelling_id=p["dwelling_id"],
            full_name=" ".join(x for x in (p["surname"], p["name"], p["patronymic"]) if x),
            birth_date=p["birth_date"],
            category=p["benefit__code"],
            category_name=p["benefit__name"],
            address=_address(
                p["dwelling__building__street__type"],
                p["dwelling__building__street__name"],
                p["dwelling__building__number"],
                p["dwelling__apartment"],
            ),
        )
        for p in base.order_by(
            "benefit__code",
            "dwelling__building__street__name",
            "dwelling__building__key",
            "dwelling__apartment_key",
            "id",
        ).values(
            "id",
            "dwelling_id",
            "surname",
            "name",
            "patronymic",
            "birth_date",
            "benefit__code",
            "benefit__name",
            "dwelling__building__street__type",
            "dwelling__building__street__name",
            "dwelling__building__number",
            "dwelling__apartment",
        )
    ]
    return rows, counts


def benefit_categories() -> QuerySet[BenefitCategory]:
    return BenefitCategory.objects.all()


# --- rent recalculation for temporary absence ---------------------------------------------------


@dataclass
class Recalculation:
    absence_id: int
    person_id: int
    dwelling_id: int
    full_name: str
    address: str
    period: dt.date
    date_from: dt.date
    date_to: dt.date
    days_absent: int
    days_in_month: int
    charge: Money | None
    registered: int
    amount: Money


def _share(charge: Money, days: int, days_in_month: int, persons: int) -> Money:
    """charge × days ÷ (days_in_month × persons), rounded half up to the kopeck (charges are ≥ 0)."""
    num = charge.kopecks * days
    den = days_in_month * max(persons, 1)
    if num >= 0:
        return Money((2 * num + den) // (2 * den))
    return Money(-((2 * -num + den) // (2 * den)))


def _months(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    m = first.replace(day=1)
    while m <= last:
        yield m
        m = (m + dt.timedelta(days=32)).replace(day=1)


def rent_recalculation(
    *, office: Organisation, month_from: dt.date, month_to: dt.date
) -> list[Recalculation]:
    """The periods and amounts of rent to recalculate for absences recorded in the office."""
    start = month_from.replace(day=1)
    end = month_to.replace(day=calendar.monthrange(month_to.year, month_to.month)[1])
    absences = list(
        Absence.objects.filter(office=office, date_from__lte=end, date_to__gte=start)
        .select_related("person__dwelling__building__street")
        .order_by(
            "person__dwelling__building__street__name", "person__dwelling__building__key", "date_from", "id"
        )
    )
    dwelling_ids = {a.person.dwelling_id for a in absences}
    charges: dict[tuple[int, dt.date], Money] = {}
    for r in (
        AccountPeriod.objects.filter(
            account__dwelling_id__in=dwelling_ids,
            account__service__code=RENT,
            account__is_active=True,
            period__gte=start,
            period__lte=end,
            charged__isnull=False,
        )
        .values("account__dwelling_id", "period")
        .annotate(total=Sum("charged"))
    ):
        charges[(r["account__dwelling_id"], r["period"])] = _m(r["total"])
    people: dict[int, list[tuple[dt.date | None, dt.date | None]]] = {}
    for did, since, until in (
        Person.objects.filter(dwelling_id__in=dwelling_ids)
        .filter(Q(is_active=True) | Q(registered_until__isnull=False))
        .values_list("dwelling_id", "registered_from", "registered_until")
    ):
        people.setdefault(did, []).append((since, until))

    def registered(did: int, day: dt.date) -> int:
        return sum(
            1
            for since, until in people.get(did, [])
            if (since is None or since <= day) and (until is None or until > day)
        )

    out: list[Recalculation] = []
    for a in absences:
        p = a.person
        d = p.dwelling
        for month in _months(max(a.date_from, start), min(a.date_to, end)):
            last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
            first_day = max(a.date_from, month)
            last_day = min(a.date_to, last)
            days = (last_day - first_day).days + 1
            charge = charges.get((d.pk, month))
            persons = registered(d.pk, first_day)
            out.append(
                Recalculation(
                    absence_id=a.pk,
                    person_id=p.pk,
                    dwelling_id=d.pk,
                    full_name=p.full_name,
                    address=str(d),
                    period=month,
                    date_from=first_day,
                    date_to=last_day,
                    days_absent=days,
                    days_in_month=last.day,
                    charge=charge,
                    registered=persons,
                    amount=_share(charge, days, last.day, persons) if charge is not None else Money(0),
                )
            )
    return out


# --- rent and registration out of step -----------------------------------------------------------


@dataclass
class RentAnomaly:
    dwelling_id: int
    dwelling: str
    address: str
    registered: int
    rent_accounts: int
    charge: Money


def _current_rent_charges(*, office: Organisation) -> dict[int, tuple[int, Money]]:
    """dwelling → (active rent accounts, sum of their monthly charges in force)."""
    out: dict[int, tuple[int, Money]] = {}
    for r in rent_accounts(office=office).annotate(charge=_current_charge()).values("dwelling_id", "charge"):
        n, total = out.get(r["dwelling_id"], (0, Money(0)))
        charge = r["charge"]
        out[r["dwelling_id"]] = (n + 1, total + _m(charge))
    return out


def rent_anomalies(*, office: Organisation) -> tuple[list[RentAnomaly], list[RentAnomaly]]:
    """(dwellings with registered persons but no rent charged; dwellings charged rent with nobody registered).

    "Rent charged" means a positive monthly charge in force on an active rent account.
    """
    persons = dict(
        Person.objects.filter(dwelling__office=office, dwelling__is_active=True, is_active=True)
        .values("dwelling_id")
        .annotate(n=Count("id"))
        .values_list("dwelling_id", "n")
    )
    charges = _current_rent_charges(office=office)
    not_charged: list[RentAnomaly] = []
    nobody: list[RentAnomaly] = []
    for did, ref, stype, sname, number, apt in (
        Dwelling.objects.filter(office=office, is_active=True)
        .order_by("building__street__name", "building__key", "apartment_key")
        .values_list(
            "id",
            "office_ref",
            "building__street__type",
            "building__street__name",
            "building__number",
            "apartment",
        )
    ):
        n = persons.get(did, 0)
        accounts, charge = charges.get(did, (0, Money(0)))
        row = RentAnomaly(did, ref, _address(stype, sname, number, apt), n, accounts, charge)
        if n > 0 and not charge.is_positive():
            not_charged.append(row)
        elif n == 0 and charge.is_positive():
            nobody.append(row)
    return not_charged, nobody


# --- chart series ------------------------------------------------------------------------------


def rent_debt_by_month(*, office: Organisation, months: int = 12) -> list[tuple[dt.date, Money]]:
    """Total rent owed (sum of positive closing balances) per period, the last `months` periods."""
    rows = list(
        AccountPeriod.objects.filter(
            account__service__code=RENT,
            account__dwelling__office=office,
            closing__gt=0,
        )
        .values("period")
        .annotate(total=Sum("closing"))
        .order_by("-period")[:months]
    )
    return [(r["period"], _m(r["total"])) for r in reversed(rows)]


def top(items: Iterable[BuildingDebt], n: int = 20) -> list[BuildingDebt]:
    return sorted((b for b in items if b.debt.is_positive()), key=lambda b: -b.debt.kopecks)[:n]
