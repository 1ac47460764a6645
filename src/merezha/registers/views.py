"""Pages of the registers app: the information centre's reconciliation."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from merezha.core.identifiers import parse_date
from merezha.core.roles import Role
from merezha.organisations.permissions import role_required
from merezha.organisations.selectors import organisation_names
from merezha.registers.selectors import reconciliation


def _day(text: str | None, default: dt.date) -> tuple[dt.date, str]:
    if not text:
        return default, ""
    try:
        return parse_date(text), ""
    except ValueError as exc:
        return default, str(exc)


@role_required(Role.ADMIN)
def reconciliation_page(request: HttpRequest) -> HttpResponse:
    """Information-centre admin only: per point and day, accepted − cancelled = registered,
    per provider and in total; mismatches flagged. At most 31 days at a time."""
    today = timezone.localdate()
    day_from, err1 = _day(request.GET.get("from"), today - dt.timedelta(days=1))
    day_to, err2 = _day(request.GET.get("to"), day_from)
    errors = [e for e in (err1, err2) if e]
    if day_to < day_from:
        errors.append("the end of the range is before its start")
        day_to = day_from
    if (day_to - day_from).days > 31:
        errors.append("at most 31 days at a time")
        day_to = day_from + dt.timedelta(days=31)
    rec = reconciliation(day_from=day_from, day_to=day_to)
    return render(
        request,
        "registers/reconciliation.html",
        {
            "rec": rec,
            "names": organisation_names(codes={r.point for r in rec.rows} | {r.provider for r in rec.rows}),
            "day_from": day_from,
            "day_to": day_to,
            "errors": errors,
        },
        status=400 if errors else 200,
    )
