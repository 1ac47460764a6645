"""Writes of the housing office: the register kept by hand, absences, and the monthly change reports.

Every edit of the register is written as `registry.RegisterChange` (source `manual`, with who and
the effective date), exactly as the register importer records its differences, so that the
monthly change report is built from one history whatever the source of a change.

Each service takes the acting office and refuses an object of another office with
`NotYourObject` (views turn it into 404); bad input raises `RegisterEditError` with the field and
the reason, and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop as N_

from merezha.core.identifiers import tax_id_normalise
from merezha.core.models import Certificate, InboxDocument
from merezha.core.reasons import Refused
from merezha.core.services import audit_record, inbox_deliver
from merezha.housing.models import Absence, ChangeReport
from merezha.organisations.locks import organisation_lock
from merezha.organisations.models import Organisation, User
from merezha.registry.matching import canonical_name, fold
from merezha.registry.models import BenefitCategory, Dwelling, Person, RegisterChange, Relation

SOURCE_MANUAL = "manual"


class RegisterEditError(Refused):
    """Bad input for an edit of the register: each reason a catalogue message (`core.reasons`) for
    its field; nothing was changed."""

    def __init__(self, field: str, template: str, **values: object) -> None:
        super().__init__([(field, template, values)])

    @classmethod
    def every(cls, errors: list[tuple[str, str, dict[str, object]]]) -> RegisterEditError:
        refused = cls.__new__(cls)
        Refused.__init__(refused, errors)
        return refused


class NotYourObject(LookupError):
    """The dwelling or person belongs to another housing office (shown as 404)."""


class DeregistrationReason:
    MOVED_OUT = "moved_out"
    DIED = "died"
    CHOICES = (MOVED_OUT, DIED)


def _recorder(user: User | None) -> User | None:
    return user if getattr(user, "pk", None) else None


def _check_date(field: str, value: dt.date | None, *, today: dt.date | None = None) -> dt.date:
    if value is None:
        raise RegisterEditError(field, N_("a date is required"))
    today = today or timezone.localdate()
    if value > today:
        raise RegisterEditError(field, N_("date {value} is in the future"), value=value)
    return value


def _lock_dwelling(*, office: Organisation, dwelling_id: int) -> Dwelling:
    dwelling = Dwelling.objects.select_for_update().filter(pk=dwelling_id, office=office).first()
    if dwelling is None:
        raise NotYourObject(dwelling_id)
    if not dwelling.is_active:
        raise RegisterEditError("dwelling", N_("the dwelling is no longer in the register"))
    return dwelling


def _lock_person(*, office: Organisation, person_id: int) -> Person:
    person = (
        Person.objects.select_for_update(of=("self",))
        .select_related("dwelling", "benefit")
        .filter(pk=person_id, dwelling__office=office)
        .first()
    )
    if person is None:
        raise NotYourObject(person_id)
    if not person.is_active:
        raise RegisterEditError("person", N_("the person is no longer registered"))
    return person


def _change(
    *,
    office: Organisation,
    dwelling_id: int,
    kind: str,
    effective_date: dt.date,
    user: User | None,
    person_id: int | None = None,
    field: str = "",
    old: Any = "",
    new: Any = "",
) -> RegisterChange:
    return RegisterChange.objects.create(
        office=office,
        dwelling_id=dwelling_id,
        person_id=person_id,
        kind=kind,
        field=field,
        old_value="" if old is None else str(old),
        new_value="" if new is None else str(new),
        effective_date=effective_date,
        recorded_by=_recorder(user),
        source=SOURCE_MANUAL,
    )


def _benefit(code: str) -> BenefitCategory | None:
    code = (code or "").strip()
    if not code:
        return None
    benefit = BenefitCategory.objects.filter(code=code).first()
    if benefit is None:
        raise RegisterEditError("benefit", N_("unknown benefit category {code}"), code=code)
    return benefit


def person_register_errors(
    *,
    surname: str | None,
    birth_date: dt.date | None = None,
    tax_id: str = "",
    relation: str = "",
    benefit_code: str = "",
    registered_from: dt.date | None,
    born: bool = False,
    skip: frozenset[str] = frozenset(),
) -> list[tuple[str, str, dict[str, object]]]:
    """Every reason to refuse registering this person, each for its field (none: it may be written).
    The fields in `skip` are not checked (a form already refused their input)."""
    errors: list[tuple[str, str, dict[str, object]]] = []

    def check(field: str, step: Any) -> Any:
        if field in skip:
            return None
        try:
            return step()
        except RegisterEditError as exc:
            errors.extend(exc.errors)
            return None

    if "surname" not in skip and not canonical_name(surname or ""):
        errors.append(("surname", N_("a surname is required"), {}))
    registered = check("registered_from", lambda: _check_date("registered_from", registered_from))
    if "birth_date" not in skip:
        if birth_date is not None and registered is not None and birth_date > registered:
            errors.append(("birth_date", N_("the birth date is after the registration date"), {}))
        if born and birth_date is None:
            errors.append(("birth_date", N_("a birth needs the birth date"), {}))
    normalised = None
    if "tax_id" not in skip:
        try:
            normalised = tax_id_normalise(tax_id)
        except ValueError as exc:
            errors.append(("tax_id", N_("{reason}"), {"reason": str(exc)}))
    if "relation" not in skip and relation and relation not in Relation.values:
        errors.append(("relation", N_("unknown relation {relation}"), {"relation": relation}))
    check("benefit", lambda: _benefit(benefit_code))
    if normalised and Person.objects.filter(tax_id=normalised, is_active=True).exists():
        errors.append(
            ("tax_id", N_("a person with tax id {tax_id} is already registered"), {"tax_id": normalised})
        )
    return errors


@transaction.atomic
def person_register(
    *,
    office: Organisation,
    dwelling_id: int,
    user: User | None,
    surname: str,
    name: str = "",
    patronymic: str = "",
    birth_date: dt.date | None = None,
    tax_id: str = "",
    relation: str = "",
    benefit_code: str = "",
    registered_from: dt.date,
    born: bool = False,
) -> Person:
    """Register a person in a dwelling of the office from `registered_from` (a birth when `born`)."""
    dwelling = _lock_dwelling(office=office, dwelling_id=dwelling_id)
    errors = person_register_errors(
        surname=surname,
        birth_date=birth_date,
        tax_id=tax_id,
        relation=relation,
        benefit_code=benefit_code,
        registered_from=registered_from,
        born=born,
    )
    if errors:
        raise RegisterEditError.every(errors)
    surname = canonical_name(surname)
    tax_id = tax_id_normalise(tax_id)
    benefit = _benefit(benefit_code)
    person = Person.objects.create(
        dwelling=dwelling,
        surname=surname,
        name=canonical_name(name),
        patronymic=canonical_name(patronymic),
        birth_date=birth_date,
        tax_id=tax_id,
        relation=relation,
        benefit=benefit,
        surname_key=fold(surname),
        registered_from=registered_from,
    )
    _change(
        office=office,
        dwelling_id=dwelling.pk,
        person_id=person.pk,
        kind=RegisterChange.Kind.BORN if born else RegisterChange.Kind.ARRIVED,
        effective_date=registered_from,
        user=user,
    )
    return person


@transaction.atomic
def person_deregister(
    *, office: Organisation, person_id: int, user: User | None, date: dt.date, reason: str
) -> Person:
    """End a registration on `date`: the person moved out or died. The row stays for history."""
    if reason not in DeregistrationReason.CHOICES:
        raise RegisterEditError("reason", N_("unknown reason {reason_code}"), reason_code=reason)
    person = _lock_person(office=office, person_id=person_id)
    date = _check_date("date", date)
    if person.registered_from and date < person.registered_from:
        raise RegisterEditError(
            "date", N_("before the registration date {date}"), date=person.registered_from
        )
    person.is_active = False
    person.registered_until = date
    person.save(update_fields=["is_active", "registered_until"])
    Absence.objects.filter(person=person, date_to__gte=date).exclude(date_from__gte=date).update(
        date_to=date - dt.timedelta(days=1)
    )
    Absence.objects.filter(person=person, date_from__gte=date).delete()
    _change(
        office=office,
        dwelling_id=person.dwelling_id,
        person_id=person.pk,
        kind=RegisterChange.Kind.DIED if reason == DeregistrationReason.DIED else RegisterChange.Kind.LEFT,
        field="reason",
        new=reason,
        effective_date=date,
        user=user,
    )
    return person


@transaction.atomic
def person_relation_change(
    *, office: Organisation, person_id: int, user: User | None, relation: str, date: dt.date
) -> Person:
    if relation not in Relation.values:
        raise RegisterEditError("relation", N_("unknown relation {relation}"), relation=relation)
    person = _lock_person(office=office, person_id=person_id)
    date = _check_date("date", date)
    if person.relation != relation:
        _change(
            office=office,
            dwelling_id=person.dwelling_id,
            person_id=person.pk,
            kind=RegisterChange.Kind.PERSON_CHANGED,
            field="relation",
            old=person.relation,
            new=relation,
            effective_date=date,
            user=user,
        )
        person.relation = relation
        person.save(update_fields=["relation"])
    return person


@transaction.atomic
def person_benefit_change(
    *, office: Organisation, person_id: int, user: User | None, benefit_code: str, date: dt.date
) -> Person:
    """Grant, change or (with an empty code) end a person's benefit category from `date`."""
    benefit = _benefit(benefit_code)
    person = _lock_person(office=office, person_id=person_id)
    date = _check_date("date", date)
    if person.benefit_id != (benefit.pk if benefit else None):
        _change(
            office=office,
            dwelling_id=person.dwelling_id,
            person_id=person.pk,
            kind=RegisterChange.Kind.PERSON_CHANGED,
            field="benefit",
            old=person.benefit.code if person.benefit else "",
            new=benefit.code if benefit else "",
            effective_date=date,
            user=user,
        )
        person.benefit = benefit
        person.save(update_fields=["benefit"])
    return person


#: A dwelling's area above this is more likely a typo than a flat: the form asks once more.
AREA_PLAUSIBLE = Decimal(1000)


def area_implausible(area: Decimal) -> bool:
    return area > AREA_PLAUSIBLE


def parse_area(text: str) -> Decimal:
    try:
        area = Decimal((text or "").replace(",", ".").replace(" ", "")).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise RegisterEditError("area", N_("not an area in m²: {text}"), text=text) from None
    if not area.is_finite() or area <= 0 or area > 100000:
        raise RegisterEditError("area", N_("not an area in m²: {text}"), text=text)
    return area


@transaction.atomic
def dwelling_area_change(
    *, office: Organisation, dwelling_id: int, user: User | None, area: Decimal, date: dt.date
) -> Dwelling:
    dwelling = _lock_dwelling(office=office, dwelling_id=dwelling_id)
    area = parse_area(str(area))
    date = _check_date("date", date)
    if dwelling.area != area:
        _change(
            office=office,
            dwelling_id=dwelling.pk,
            kind=RegisterChange.Kind.DWELLING_CHANGED,
            field="area",
            old=dwelling.area,
            new=area,
            effective_date=date,
            user=user,
        )
        dwelling.area = area
        dwelling.save(update_fields=["area"])
    return dwelling


@transaction.atomic
def absence_record(
    *,
    office: Organisation,
    person_id: int,
    user: User | None,
    date_from: dt.date,
    date_to: dt.date,
    reason: str,
) -> Absence:
    """Record a temporary absence (both days inclusive) of a registered person; absences do not overlap."""
    person = _lock_person(office=office, person_id=person_id)
    if date_from is None or date_to is None:
        raise RegisterEditError("date_from", N_("both dates are required"))
    if date_to < date_from:
        raise RegisterEditError("date_to", N_("the absence ends before it starts"))
    if person.registered_from and date_from < person.registered_from:
        raise RegisterEditError(
            "date_from", N_("before the registration date {date}"), date=person.registered_from
        )
    reason = (reason or "").strip()
    if not reason:
        raise RegisterEditError("reason", N_("a reason is required"))
    if Absence.objects.filter(person=person, date_from__lte=date_to, date_to__gte=date_from).exists():
        raise RegisterEditError("date_from", N_("overlaps an absence already recorded"))
    return Absence.objects.create(
        office=office,
        person=person,
        date_from=date_from,
        date_to=date_to,
        reason=reason[:200],
        recorded_by=_recorder(user),
    )


# --- monthly change reports (exchange-v1 §5) --------------------------------------------------


def change_report_month_check(*, month: dt.date) -> dt.date:
    """The first day of `month`, a month a change report may be issued for: one that has begun
    (a month to come has nothing to report, and its empty reports could not be taken back)."""
    month = month.replace(day=1)
    if month > timezone.localdate().replace(day=1):
        raise RegisterEditError(
            "month",
            N_("the month {month} has not begun: there is nothing to report yet"),
            month=month,
        )
    return month


@transaction.atomic
def change_report_issue(
    *, office: Organisation, month: dt.date, user: User | None = None
) -> list[ChangeReport]:
    """Issue the office's change report for `month` to every provider with active accounts in its dwellings.

    Idempotent per (office, month, provider): a provider that already has this month's report
    keeps it unchanged; a provider that has none yet gets one. Returns every report of the month.
    Each new report is delivered to the provider's inbox with its checksum.
    """
    from merezha.housing.selectors import (
        change_report_csv_bytes,
        change_report_lines_build,
        change_report_providers,
    )

    month = change_report_month_check(month=month)
    # one issuer per office at a time: the office row is the lock
    organisation_lock(organisation_id=office.pk)
    existing = {r.provider_id: r for r in ChangeReport.objects.filter(office=office, month=month)}
    providers = change_report_providers(office=office)
    for provider in providers:
        if provider.pk in existing:
            continue
        lines = change_report_lines_build(office=office, provider=provider, month=month)
        report = ChangeReport(
            office=office,
            provider=provider,
            month=month,
            lines=lines,
            line_count=len(lines),
            created_by=_recorder(user),
        )
        report.checksum = hashlib.sha256(change_report_csv_bytes(lines=lines)).hexdigest()
        report.save()
        report.inbox_document = inbox_deliver(
            kind=InboxDocument.Kind.CHANGE_REPORT,
            sender_code=office.code,
            recipient_code=provider.code,
            values={"office": office.code, "month": f"{month:%Y-%m}", "lines": len(lines)},
            object_type="housing.changereport",
            object_id=str(report.pk),
            checksum=report.checksum,
        )
        report.save(update_fields=["inbox_document"])
        existing[provider.pk] = report
    return sorted(existing.values(), key=lambda r: r.provider.code)


# --- certificates --------------------------------------------------------------------------------

#: How a relation is printed on a Ukrainian certificate.
RELATION_UK = {
    "head": "голова домогосподарства",
    "spouse": "чоловік / дружина",
    "child": "син / дочка",
    "parent": "батько / мати",
    "other": "інший родич",
    "": "—",
}


def family_composition_issue(*, office: Organisation, dwelling_id: int, user: User | None) -> Certificate:
    """The family composition extract (витяг про склад зареєстрованих осіб) of a dwelling of the office.

    Frozen into the certificate: the address, area, and each registered person's full name, birth
    date, relation and registration date, as of today.
    """

    dwelling = (
        Dwelling.objects.select_related("building__street").filter(pk=dwelling_id, office=office).first()
    )
    if dwelling is None:
        raise NotYourObject(dwelling_id)
    people = list(Person.objects.filter(dwelling=dwelling, is_active=True).order_by("id"))
    persons = [
        {
            "name": p.full_name,
            "birth_date": p.birth_date.isoformat() if p.birth_date else "",
            "relation": p.relation,
            "relation_uk": RELATION_UK.get(p.relation, p.relation),
            "registered_from": p.registered_from.isoformat() if p.registered_from else "",
        }
        for p in people
    ]
    payload = {
        "dwelling": dwelling.office_ref,
        "address": str(dwelling),
        "area": str(dwelling.area) if dwelling.area is not None else "",
        "as_of": timezone.localdate().isoformat(),
        "count": len(persons),
        "persons": persons,
    }
    return _dwelling_certificate_issue(
        kind=Certificate.Kind.FAMILY_COMPOSITION,
        office=office,
        user=user,
        dwelling=dwelling,
        payload=payload,
        action="housing.certificate_family",
        person_ids=[p.pk for p in people],
    )


def payment_status_issue(*, office: Organisation, dwelling_id: int, user: User | None) -> Certificate:
    """The payment status of a dwelling of the office: every active account's current debt, and the total owed."""
    from merezha.core.money import Money
    from merezha.payments.selectors import dwelling_accounts_with_debt

    dwelling = (
        Dwelling.objects.select_related("building__street").filter(pk=dwelling_id, office=office).first()
    )
    if dwelling is None:
        raise NotYourObject(dwelling_id)
    accounts = dwelling_accounts_with_debt(dwelling_id=dwelling.pk)
    owed = Money.total(a.debt for a in accounts if a.debt.is_positive())
    payload = {
        "dwelling": dwelling.office_ref,
        "address": str(dwelling),
        "as_of": timezone.localdate().isoformat(),
        "accounts": [
            {
                "provider": a.provider_name,
                "provider_code": a.provider_code,
                "service": a.service_code,
                "service_name": a.service_name,
                "account": a.number,
                "payer": a.payer,
                "debt": str(a.debt),
                "as_of": a.as_of.isoformat(),
            }
            for a in accounts
        ],
        "total_debt": str(owed),
        "has_debt": owed.is_positive(),
    }
    return _dwelling_certificate_issue(
        kind=Certificate.Kind.PAYMENT_STATUS,
        office=office,
        user=user,
        dwelling=dwelling,
        payload=payload,
        action="housing.certificate_payments",
    )


@transaction.atomic
def _dwelling_certificate_issue(
    *,
    kind: str,
    office: Organisation,
    user: Any,
    dwelling: Dwelling,
    payload: dict[str, Any],
    action: str,
    person_ids: list[int] | None = None,
) -> Certificate:
    """Issue a certificate about a dwelling and write its audit entry (what it showed), together."""
    from merezha.core.certificates import certificate_issue

    cert = certificate_issue(
        kind=kind, issuer=office, user=user, subject=f"dwelling:{dwelling.pk}", payload=payload
    )
    audit_record(
        user=user,
        action=action,
        object_type="dwelling",
        object_id=str(dwelling.pk),
        detail={"certificate": cert.number},
        dwelling_ids=[dwelling.pk],
        person_ids=person_ids or [],
    )
    return cert
