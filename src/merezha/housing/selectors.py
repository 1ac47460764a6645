"""Reads of the housing office: its dwellings and residents, history, absences, and change reports.

Every read is scoped by the office: another office's dwelling or person is simply not found.
The reports (debt, debtors, beneficiaries, recalculation, anomalies) live in `housing.reports`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import tempfile
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet

from merezha.formats.writers import CONTENT_TYPES, Column, write_csv, write_json, write_xlsx
from merezha.housing.models import Absence, ChangeReport
from merezha.organisations.models import Organisation
from merezha.registry.matching import MatchStatus, address_split, apartment_key, fold, house_key
from merezha.registry.models import Dwelling, Person, RegisterChange
from merezha.registry.selectors import street_index_build

SEARCH_LIMIT = 200


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


# --- dwellings and residents -------------------------------------------------------------------


def office_dwellings(*, office: Organisation) -> QuerySet[Dwelling]:
    return Dwelling.objects.select_related("building__street").filter(office=office, is_active=True)


def dwelling_search(*, office: Organisation, q: str) -> list[Dwelling]:
    """The office's dwellings matching `q`: an address as anyone writes it (`Свободи 12а кв 5`,
    a street alone, a street and house), the office's own dwelling id, or a resident's surname."""
    q = (q or "").strip()
    if not q:
        return []
    qs = office_dwellings(office=office)
    by_ref = list(qs.filter(office_ref=q)[:SEARCH_LIMIT])
    if by_ref:
        return by_ref
    index = street_index_build()
    parts = address_split(q)
    if parts is not None:
        street, house, apartment = parts
        sm = index.match(street)
        if sm.status is MatchStatus.MATCHED:
            found = qs.filter(building__street_id=sm.street_id or 0, building__key=house_key(house))
            if apartment:
                found = found.filter(apartment_key=apartment_key(apartment))
            return list(found[:SEARCH_LIMIT])
    sm = index.match(q)
    if sm.status is MatchStatus.MATCHED:
        return list(qs.filter(building__street_id=sm.street_id or 0)[:SEARCH_LIMIT])
    key = fold(q.split()[0])
    return list(
        qs.filter(persons__is_active=True, persons__surname_key__startswith=key).distinct()[:SEARCH_LIMIT]
    )


def dwelling_for_office(*, office: Organisation, dwelling_id: int) -> Dwelling | None:
    return (
        Dwelling.objects.select_related("building__street", "office")
        .filter(pk=dwelling_id, office=office)
        .first()
    )


def person_for_office(*, office: Organisation, person_id: int) -> Person | None:
    return (
        Person.objects.select_related("dwelling", "benefit")
        .filter(pk=person_id, dwelling__office=office)
        .first()
    )


def dwelling_residents(*, dwelling_id: int, active_only: bool = True) -> QuerySet[Person]:
    qs = Person.objects.select_related("benefit").filter(dwelling_id=dwelling_id)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("id")


def dwelling_history(*, dwelling_id: int) -> QuerySet[RegisterChange]:
    """Every change of the dwelling and its residents, newest first, with who recorded it."""
    return (
        RegisterChange.objects.select_related("person", "recorded_by")
        .filter(dwelling_id=dwelling_id)
        .order_by("-recorded_at", "-id")
    )


def dwelling_absences(*, dwelling_id: int) -> QuerySet[Absence]:
    return Absence.objects.select_related("person").filter(person__dwelling_id=dwelling_id)


def registered_counts(*, dwelling_ids: Iterable[int], on: dt.date) -> dict[int, int]:
    """Persons registered in each dwelling on day `on` (registered_from ≤ on < registered_until)."""
    rows = (
        Person.objects.filter(dwelling_id__in=list(dwelling_ids))
        .filter(Q(registered_from__isnull=True) | Q(registered_from__lte=on))
        .filter(Q(registered_until__isnull=True) | Q(registered_until__gt=on))
        .filter(Q(is_active=True) | Q(registered_until__isnull=False))
        .values("dwelling_id")
        .annotate(n=Count("id"))
    )
    return {r["dwelling_id"]: r["n"] for r in rows}


# --- monthly change reports --------------------------------------------------------------------

#: The columns of a change report line, in order (docs/reference/change-report-format.md).
CHANGE_REPORT_COLUMNS: tuple[Column, ...] = (
    Column("line", "NREC", "N", 6),
    Column("effective_date", "DATA", "D", 8),
    Column("event", "EVENT", "C", 8),
    Column("dwelling", "KOD", "C", 32),
    Column("street", "STREET", "C", 60),
    Column("house", "HOUSE", "C", 16),
    Column("apartment", "FLAT", "C", 8),
    Column("accounts", "LS", "C", 60),
    Column("surname", "FAM", "C", 40),
    Column("name", "IM", "C", 30),
    Column("patronymic", "OT", "C", 30),
    Column("birth_date", "DATAR", "D", 8),
    Column("tax_id", "IDCODE", "C", 16),
    Column("old_value", "OLD", "C", 40),
    Column("new_value", "NEW", "C", 40),
    Column("registered", "KOLPROP", "N", 4),
    Column("area", "PLOSCH", "C", 12),
    Column("source", "SOURCE", "C", 8),
    Column("change_id", "ID", "N", 12),
)
COLUMN_NAMES = tuple(c.name for c in CHANGE_REPORT_COLUMNS)

_EVENT_OF_KIND: dict[str, str] = {
    RegisterChange.Kind.ARRIVED: "arrived",
    RegisterChange.Kind.LEFT: "left",
    RegisterChange.Kind.BORN: "born",
    RegisterChange.Kind.DIED: "died",
}


def _event(kind: str, field: str) -> str | None:
    if kind in _EVENT_OF_KIND:
        return _EVENT_OF_KIND[kind]
    if kind == RegisterChange.Kind.DWELLING_CHANGED and field == "area":
        return "area"
    if kind == RegisterChange.Kind.PERSON_CHANGED and field == "benefit":
        return "benefit"
    return None


#: The register changes a change report carries (the rest — names, relations — are not for providers).
REPORTED = (
    Q(kind__in=list(_EVENT_OF_KIND))
    | Q(kind=RegisterChange.Kind.DWELLING_CHANGED, field="area")
    | Q(kind=RegisterChange.Kind.PERSON_CHANGED, field="benefit")
)


def change_report_providers(*, office: Organisation) -> list[Organisation]:
    """Providers with at least one active account in an active dwelling of the office."""
    return list(
        Organisation.objects.filter(
            accounts__is_active=True,
            accounts__dwelling__office=office,
            accounts__dwelling__is_active=True,
        )
        .distinct()
        .order_by("code")
    )


def change_report_lines_build(
    *, office: Organisation, provider: Organisation, month: dt.date
) -> list[dict[str, Any]]:
    """The lines of the office's report for `month` to `provider` (see the format reference).

    Carries the changes with an effective date in the month, plus late ones: changes dated
    before the month but recorded after the provider's previous report of this office was
    issued (so that a back-dated edit is never lost). Only dwellings where the provider has an
    active account appear.
    """
    from merezha.providers.models import Account

    month = month.replace(day=1)
    end = month_end(month)
    accounts: dict[int, list[str]] = {}
    for dwelling_id, number in (
        Account.objects.filter(provider=provider, is_active=True, dwelling__office=office)
        .order_by("number")
        .values_list("dwelling_id", "number")
        .distinct()
    ):
        accounts.setdefault(dwelling_id, []).append(number)
    when = Q(effective_date__gte=month, effective_date__lte=end)
    previous = (
        ChangeReport.objects.filter(office=office, provider=provider, month__lt=month)
        .order_by("-created_at")
        .first()
    )
    if previous is not None:
        when |= Q(effective_date__lt=month, recorded_at__gt=previous.created_at)
    changes = list(
        RegisterChange.objects.filter(REPORTED, when, office=office, dwelling_id__in=list(accounts))
        .select_related("dwelling__building__street", "person")
        .order_by("effective_date", "id")
    )
    counts = registered_counts(dwelling_ids={c.dwelling_id for c in changes}, on=end)
    lines: list[dict[str, Any]] = []
    for c in changes:
        event = _event(c.kind, c.field)
        if event is None:  # pragma: no cover - REPORTED selects only reported kinds
            continue
        d = c.dwelling
        p = c.person
        lines.append(
            {
                "line": len(lines) + 1,
                "effective_date": c.effective_date.isoformat(),
                "event": event,
                "dwelling": d.office_ref,
                "street": str(d.building.street),
                "house": d.building.number,
                "apartment": d.apartment,
                "accounts": "|".join(accounts.get(d.pk, [])),
                "surname": p.surname if p else "",
                "name": p.name if p else "",
                "patronymic": p.patronymic if p else "",
                "birth_date": p.birth_date.isoformat() if p and p.birth_date else "",
                "tax_id": p.tax_id if p else "",
                "old_value": c.old_value,
                "new_value": c.new_value,
                "registered": counts.get(d.pk, 0),
                "area": str(d.area) if d.area is not None else "",
                "source": "manual" if c.source == "manual" else "import",
                "change_id": c.pk,
            }
        )
    return lines


def _rows(lines: list[dict[str, Any]]) -> Iterable[list[Any]]:
    for line in lines:
        yield [line[name] for name in COLUMN_NAMES]


def _file_bytes(writer: Any, suffix: str, lines: list[dict[str, Any]], **kwargs: Any) -> bytes:
    fd, path = tempfile.mkstemp(suffix=suffix)
    os.close(fd)
    try:
        writer(path, CHANGE_REPORT_COLUMNS, _rows(lines), **kwargs)
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(path)


def change_report_csv_bytes(*, lines: list[dict[str, Any]]) -> bytes:
    """The canonical file of a report (UTF-8, `;`, CRLF): its SHA-256 is the report's checksum."""
    return _file_bytes(write_csv, ".csv", lines)


CHANGE_REPORT_FORMATS = {f: CONTENT_TYPES[f] for f in ("csv", "xlsx", "json")}


def change_report_file(*, report: ChangeReport, fmt: str) -> tuple[bytes, str, str]:
    """(content, content type, file name) of a report in `csv`, `xlsx` or `json`."""
    name = f"change-report-{report.office.code}-{report.provider.code}-{report.month:%Y-%m}.{fmt}"
    if fmt == "csv":
        return change_report_csv_bytes(lines=report.lines), CHANGE_REPORT_FORMATS[fmt], name
    if fmt == "xlsx":
        return (
            _file_bytes(write_xlsx, ".xlsx", report.lines, sheet="changes"),
            CHANGE_REPORT_FORMATS[fmt],
            name,
        )
    if fmt == "json":
        meta = {
            "id": report.pk,
            "office": report.office.code,
            "provider": report.provider.code,
            "month": f"{report.month:%Y-%m}",
            "count": report.line_count,
            "checksum": report.checksum,
        }
        return _file_bytes(write_json, ".json", report.lines, metadata=meta), CHANGE_REPORT_FORMATS[fmt], name
    raise ValueError(f"unknown format {fmt!r} (csv, xlsx or json)")


def change_report_for_provider(*, provider: Organisation, report_id: int) -> ChangeReport | None:
    return (
        ChangeReport.objects.select_related("office", "provider")
        .filter(pk=report_id, provider=provider)
        .first()
    )


def change_report_list(
    *, office: Organisation | None = None, provider: Organisation | None = None
) -> QuerySet[ChangeReport]:
    qs = ChangeReport.objects.select_related("office", "provider", "inbox_document")
    if office is not None:
        qs = qs.filter(office=office)
    if provider is not None:
        qs = qs.filter(provider=provider)
    return qs.order_by("-month", "office__code", "provider__code")
