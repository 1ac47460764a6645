"""Reads of the audit log for the information centre: filtered entries, their labels, export rows.

The log is written by `core.services.audit_record` (called by the selectors and services that read
personal data); nothing here writes to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from merezha.core.models import AuditEntry, AuditSubject
from merezha.core.services import audit_tax_id_hash

#: What each audited action is called on the page and in the export. An action not listed here
#: (a new one) is shown by its code.
ACTION_LABELS: dict[str, Any] = {
    "dwelling_search": _("Search for a dwelling (cashier)"),
    "dwelling_lookup": _("Dwelling card (cashier)"),
    "dwelling.accounts": _("Dwelling accounts (API)"),
    "subsidy.search": _("Household search (subsidy office)"),
    "subsidy.debt_status": _("Household payment status (subsidy office)"),
    "subsidy.certificate_issue": _("Payment status certificate issued (subsidy office)"),
    "subsidy.certificate_view": _("Payment status certificate opened (subsidy office)"),
    "subsidy.batch_check": _("Batch check (subsidy office)"),
    "subsidy.decision_create": _("Subsidy decision recorded"),
    "subsidy.exemption_create": _("Debt exemption recorded"),
    "subsidy.rule_parameters_create": _("Subsidy rule parameters changed"),
    "housing.certificate_family": _("Family composition certificate issued (housing office)"),
    "housing.certificate_payments": _("Payment status certificate issued (housing office)"),
    "payment.cancel": _("Payment cancelled"),
}

CHANNEL_LABELS: dict[str, Any] = {"web": _("page"), "api": _("API"), "": "—"}

#: entries on one page of the viewer
PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    """What the viewer was asked to show; every field optional."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    organisation: str = ""
    user: str = ""
    action: str = ""
    dwelling_id: int | None = None
    tax_id: str = ""


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_entries(*, filters: AuditFilter) -> QuerySet[AuditEntry]:
    """ADMIN (the caller checks): entries matching the filters, newest first, with their subjects.

    `dwelling_id` finds every entry that showed the dwelling (a search listing it, a card, a
    certificate); `tax_id` every search for that tax id (compared by its hash: the log keeps no
    tax id). An invalid tax id matches nothing.
    """
    qs = AuditEntry.objects.select_related("user").prefetch_related("subjects")
    if filters.date_from:
        qs = qs.filter(at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    if filters.organisation:
        qs = qs.filter(organisation_code=filters.organisation)
    if filters.user:
        qs = qs.filter(user__username=filters.user)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.dwelling_id is not None:
        shown = AuditSubject.objects.filter(
            entry=OuterRef("pk"), kind=AuditSubject.Kind.DWELLING, object_id=filters.dwelling_id
        )
        qs = qs.filter(Q(Exists(shown)) | Q(object_type="dwelling", object_id=str(filters.dwelling_id)))
    if filters.tax_id:
        digest = audit_tax_id_hash(filters.tax_id)
        qs = qs.filter(tax_id_hash=digest) if digest else qs.none()
    return qs.order_by("-at", "-id")


@dataclass(frozen=True)
class AuditRow:
    """One entry as the viewer and the export show it."""

    id: int
    at: dt.datetime
    username: str
    user_name: str
    organisation_code: str
    action: str
    action_label: str
    channel: str
    query: str
    dwelling_ids: list[int]
    person_ids: list[int]
    object: str
    detail: dict[str, Any]


def audit_row(entry: AuditEntry) -> AuditRow:
    subjects = list(entry.subjects.all())
    user: Any = entry.user
    return AuditRow(
        id=entry.pk,
        at=timezone.localtime(entry.at),
        username=user.username if user else "",
        user_name=(user.get_full_name() if user else "") or "",
        organisation_code=entry.organisation_code,
        action=entry.action,
        action_label=str(ACTION_LABELS.get(entry.action, entry.action)),
        channel=str(CHANNEL_LABELS.get(entry.channel, entry.channel)),
        query=entry.query,
        dwelling_ids=sorted(s.object_id for s in subjects if s.kind == AuditSubject.Kind.DWELLING),
        person_ids=sorted(s.object_id for s in subjects if s.kind == AuditSubject.Kind.PERSON),
        object=f"{entry.object_type}:{entry.object_id}" if entry.object_id else "",
        detail=dict(entry.detail or {}),
    )


def audit_export_rows(*, filters: AuditFilter) -> Iterator[list[Any]]:
    """Every matching entry as a row of `AUDIT_EXPORT_HEADER`, read in chunks (a month may be long)."""
    for entry in audit_entries(filters=filters).iterator(chunk_size=2000):
        row = audit_row(entry)
        yield [
            row.at.strftime("%d.%m.%Y %H:%M:%S"),
            row.username,
            row.user_name,
            row.organisation_code,
            row.action_label,
            row.channel,
            row.query,
            " ".join(map(str, row.dwelling_ids)),
            " ".join(map(str, row.person_ids)),
            row.object,
            ", ".join(f"{k}: {v}" for k, v in sorted(row.detail.items())),
        ]


#: the export's column headers (translated when the export is written)
AUDIT_EXPORT_HEADER = (
    _("Time"),
    _("User"),
    _("Full name"),
    _("Organisation"),
    _("Action"),
    _("Channel"),
    _("Query"),
    _("Dwellings shown"),
    _("Persons shown"),
    _("Object"),
    _("Details"),
)
