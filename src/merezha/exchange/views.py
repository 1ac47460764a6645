"""Pages of the exchange: an inbox document opened and downloaded by its recipient; the scheduler's
jobs, the exchange monitor and the management charts for the information centre and managers;
an organisation's webhook."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import gettext_noop as _noop

from merezha.core.formatting import count, date_ua, datetime_ua
from merezha.core.identifiers import parse_date
from merezha.core.inbox import HUB_SENDER, INBOX_ROLES
from merezha.core.reasons import figure, figure_of_text, reason_localise
from merezha.core.roles import OrgKind, Role
from merezha.core.selectors import inbox_get
from merezha.core.services import inbox_mark_read
from merezha.exchange import charts
from merezha.exchange.documents import document_file, document_formats, document_preview
from merezha.exchange.selectors import (
    STATES,
    collections,
    debt_trend,
    exchange_monitor,
    exchange_monitor_counts,
    job_run_list,
    job_status_list,
    points_activity,
    webhook_delivery_list,
    webhook_get,
)
from merezha.exchange.services.webhooks import WebhookInvalid, webhook_remove, webhook_set
from merezha.housing.charts import hbar_chart, vbar_chart
from merezha.organisations.models import Organisation
from merezha.organisations.permissions import MemberRequest, role_required
from merezha.organisations.selectors import organisation_names

#: who watches the exchange: the information centre and city management
MONITOR_ROLES = (Role.ADMIN, Role.MANAGER)
#: who may point its organisation's documents at a webhook
WEBHOOK_ROLES = (Role.PROVIDER, Role.HOUSING, Role.SUBSIDY, Role.CASHIER)


def _org(request: MemberRequest) -> Organisation:
    """The caller's organisation (role_required lets in only users who act for one)."""
    org = request.user.organisation
    if org is None:
        raise PermissionDenied
    return org


def _own_document(request: MemberRequest, document_id: int) -> Any:
    document = inbox_get(organisation_code=_org(request).code, document_id=document_id)
    if document is None:
        raise Http404
    return document


@role_required(*INBOX_ROLES)
def document_page(request: MemberRequest, document_id: int) -> HttpResponse:
    """Any organisation user: one document of its own organisation's inbox, with its files
    (another organisation's document: 404). Opening it marks it read."""
    document = inbox_mark_read(document=_own_document(request, document_id))
    senders = {HUB_SENDER: _("Merezha")} | organisation_names(codes={document.sender_code})
    return render(
        request,
        "exchange/document.html",
        {
            "d": document,
            "senders": senders,
            "formats": document_formats(document=document),
            **document_preview(document=document),
        },
    )


@role_required(*INBOX_ROLES)
def document_download(request: MemberRequest, document_id: int, fmt: str) -> HttpResponse:
    """Any organisation user: a document of its own organisation's inbox as a file in one of its
    kind's formats (another organisation's document, or a format the kind has not: 404)."""
    document = _own_document(request, document_id)
    file = document_file(document=document, fmt=fmt)
    if file is None:
        raise Http404
    inbox_mark_read(document=document)
    response = HttpResponse(file.content, content_type=file.content_type)
    disposition = "inline" if fmt == "pdf" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{file.file_name}"'
    return response


@role_required(Role.ADMIN)
def jobs_page(request: MemberRequest) -> HttpResponse:
    """Information-centre admin only: the scheduled jobs, their last runs and results."""
    return render(
        request,
        "exchange/jobs.html",
        {"jobs": job_status_list(), "runs": job_run_list(job=request.GET.get("job") or None)},
    )


def _monitor_rows(request: MemberRequest) -> tuple[list[Any], dict[str, str]]:
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", "")
    filters = {
        "kind": kind if kind in OrgKind.values else "",
        "state": state if state in STATES else "",
        "q": request.GET.get("q", "").strip()[:64],
    }
    rows = exchange_monitor(kind=filters["kind"], state=filters["state"], q=filters["q"])
    return rows, filters


PROBLEMS = {
    "no_snapshot": lambda v: _("no snapshot applied"),
    "snapshot_late": lambda v: _("last snapshot %(days)s days ago") % v,
    "import_failed": lambda v: _("failed imports: %(count)s") % v,
    "overdue": lambda v: _("%(count)s documents not acknowledged after %(days)s days") % v,
    "unacknowledged": lambda v: _("%(count)s documents awaiting acknowledgement") % v,
    "day_open": lambda v: _("%(count)s days not closed since %(first)s") % v,
    "today_open": lambda v: _("today's day open past the cut-off"),
    "settlement_missing": lambda v: _("settlement orders with no bank credit: %(count)s") % v,
    "settlement_partial": lambda v: _("settlement orders credited short: %(count)s") % v,
}


def problem_text(code: str, values: dict[str, Any]) -> str:
    """A monitor row's problem in the reader's language, its figures as pages show them."""
    if code not in PROBLEMS:
        return code
    shown = {k: figure_of_text(k, v) if isinstance(v, str) else figure(k, v) for k, v in values.items()}
    return str(PROBLEMS[code](shown))


@role_required(*MONITOR_ROLES)
def monitor_page(request: MemberRequest) -> HttpResponse:
    """Information-centre admin and manager: per organisation what it sent and acknowledged, lag,
    failed imports, unclosed days; green/amber/red, filtered by kind, state and name."""
    rows, filters = _monitor_rows(request)
    for row in rows:
        row.problem_texts = [problem_text(c, v) for c, v in row.problems]
    return render(
        request,
        "exchange/monitor.html",
        {
            "rows": rows,
            "counts": exchange_monitor_counts(rows),
            "filters": filters,
            "kinds": [
                (k, label)
                for k, label in OrgKind.choices
                if k in {r.kind for r in rows} or k == filters["kind"]
            ],
            "all_kinds": OrgKind.choices,
            "states": STATES,
        },
    )


#: the monitor's export: a column's heading (translated) and its value for a row
STATE_LABELS = {"green": _lazy("green"), "amber": _lazy("amber"), "red": _lazy("red")}
MONITOR_COLUMNS: tuple[tuple[str, Any], ...] = (
    (_noop("Code"), lambda r: r.code),
    (_noop("Organisation"), lambda r: r.name),
    (_noop("Kind"), lambda r: OrgKind(r.kind).label if r.kind in OrgKind.values else r.kind),
    (_noop("State"), lambda r: STATE_LABELS.get(r.state, r.state)),
    (_noop("Problems"), lambda r: " | ".join(problem_text(c, v) for c, v in r.problems)),
    (_noop("Last snapshot"), lambda r: datetime_ua(r.last_snapshot)),
    (_noop("Last snapshot applied"), lambda r: datetime_ua(r.last_snapshot_applied)),
    (_noop("Snapshot lag, days"), lambda r: count(r.snapshot_lag_days)),
    (_noop("Last register"), lambda r: _received(r, "register", "last")),
    (_noop("Last register acknowledged"), lambda r: _received(r, "register", "last_acknowledged")),
    (_noop("Last change report received"), lambda r: _received(r, "change_report", "last")),
    (_noop("Last decision received"), lambda r: _received(r, "subsidy_decision", "last")),
    (_noop("Last sent"), lambda r: datetime_ua(max(r.sent.values(), default=None))),
    (_noop("Not acknowledged"), lambda r: count(r.unacknowledged)),
    (_noop("Overdue"), lambda r: count(r.overdue)),
    (
        _noop("Failed imports"),
        lambda r: " | ".join(
            f"{f.file_name or f.snapshot_id}: {'; '.join(reason_localise(x) for x in f.reasons)}"
            for f in r.failed_imports
        ),
    ),
    (_noop("Days not closed"), lambda r: " ".join(str(date_ua(d)) for d in r.open_days)),
)


def _received(row: Any, kind: str, field: str) -> object:
    got = row.received.get(kind)
    return datetime_ua(getattr(got, field) if got else None)


@role_required(*MONITOR_ROLES)
def monitor_csv(request: MemberRequest) -> HttpResponse:
    """Information-centre admin and manager: the monitor's rows (with its filters) as CSV, for
    people (headings and values in the reader's language, as on the page; programs read the same
    rows from `GET /api/v1/exchange/monitor`)."""
    rows, _filters = _monitor_rows(request)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_(heading) for heading, _value in MONITOR_COLUMNS])
    for r in rows:
        writer.writerow([value(r) for _heading, value in MONITOR_COLUMNS])
    response = HttpResponse(out.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="exchange-monitor-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    return response


def _range(request: MemberRequest) -> tuple[dt.date, dt.date, list[str]]:
    today = timezone.localdate()
    errors = []
    try:
        day_to = parse_date(request.GET["to"]) if request.GET.get("to") else today
    except ValueError as exc:
        errors.append(str(exc))
        day_to = today
    try:
        day_from = (
            parse_date(request.GET["from"]) if request.GET.get("from") else day_to - dt.timedelta(days=13)
        )
    except ValueError as exc:
        errors.append(str(exc))
        day_from = day_to - dt.timedelta(days=13)
    if day_from > day_to:
        errors.append(_("the start of the range is after its end"))
        day_from = day_to
    if (day_to - day_from).days > 62:
        errors.append(_("at most 62 days at a time"))
        day_from = day_to - dt.timedelta(days=62)
    return day_from, day_to, errors


@role_required(*MONITOR_ROLES)
def charts_page(request: MemberRequest) -> HttpResponse:
    """Information-centre admin and manager: collections per day by provider and by point, the debt
    trend per month, points' activity; SVG drawn on the server (no scripts, no CDN)."""
    day_from, day_to, errors = _range(request)
    col = collections(day_from=day_from, day_to=day_to)
    activity = points_activity(day_from=day_from, day_to=day_to)
    names = organisation_names(
        codes=set(col.by_provider) | set(col.by_point) | {code for code, *_r in activity}
    )
    return render(
        request,
        "exchange/charts.html",
        {
            "day_from": day_from,
            "day_to": day_to,
            "errors": errors,
            "by_day": charts.stacked_columns(
                labels=[d.strftime("%d.%m") for d in col.days],
                series=[(names.get(code, code), values) for code, values in col.by_provider.items()],
            ),
            "by_point": hbar_chart(
                items=[(names.get(code, code), t) for code, (t, _n) in col.by_point.items()]
            ),
            "debt": vbar_chart(items=[(f"{p:%m.%Y}", t) for p, t in debt_trend()], bar=64),
            "activity": charts.hbars(
                items=[
                    (names.get(code, code), n, _("%(n)s payments, %(days)s days") % {"n": n, "days": days})
                    for code, days, n in activity
                ]
            ),
        },
        status=400 if errors else 200,
    )


@role_required(*WEBHOOK_ROLES)
def webhook_page(request: MemberRequest) -> HttpResponse:
    """A provider, housing office, subsidy office or point user: its own organisation's webhook
    (set its URL — a new secret is shown once — or switch it off) and the delivery log."""
    org = _org(request)
    secret = ""
    error = ""
    if request.method == "POST":
        if request.POST.get("action") == "remove":
            webhook_remove(organisation=org)
            messages.success(request, _("The webhook is switched off."))
            return redirect("exchange-webhook")
        try:
            _hook, secret = webhook_set(organisation=org, url=request.POST.get("url", ""))
        except WebhookInvalid:
            error = _("Enter an http:// or https:// address.")
    return render(
        request,
        "exchange/webhook.html",
        {
            "hook": webhook_get(organisation_id=org.pk),
            "secret": secret,
            "error": error,
            "deliveries": webhook_delivery_list(organisation_id=org.pk),
        },
        status=400 if error else 200,
    )
