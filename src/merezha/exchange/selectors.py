"""Reads of the exchange: the scheduler's jobs, the exchange monitor, the management charts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from merezha.core.models import InboxDocument
from merezha.core.money import Money
from merezha.core.roles import OrgKind
from merezha.exchange.models import JobRun, Webhook, WebhookDelivery
from merezha.exchange.services.scheduler import JOBS, clock_time
from merezha.organisations.models import Organisation

# --- the scheduler -------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobStatus:
    name: str
    label: str
    #: when it runs, in words of the settings: "21:00", "1st 06:00"
    schedule: str
    last: JobRun | None
    #: a due slot that has not run successfully (None when every due slot is done)
    next_slot: str | None


def job_schedule(name: str) -> str:
    if name == "day_close":
        return f"{clock_time(settings.EXCHANGE_DAY_CLOSE_AT):%H:%M}"
    if name == "change_reports":
        return (
            f"{settings.EXCHANGE_CHANGE_REPORTS_DAY}/{clock_time(settings.EXCHANGE_CHANGE_REPORTS_AT):%H:%M}"
        )
    return f"{clock_time(settings.EXCHANGE_REMINDERS_AT):%H:%M}"


def job_status_list(*, now: dt.datetime | None = None) -> list[JobStatus]:
    """Every scheduled job with its last run (and its result) and the due slot still waiting, if any."""
    now = now or timezone.now()
    out = []
    for name, spec in JOBS.items():
        last = JobRun.objects.filter(job=name).order_by("-started_at", "-id").first()
        due = spec.due(now)
        done = set(
            JobRun.objects.filter(job=name, slot__in=due, status=JobRun.Status.OK).values_list(
                "slot", flat=True
            )
        )
        waiting = [s for s in due if s not in done]
        out.append(
            JobStatus(
                name=name,
                label=str(spec.label),
                schedule=job_schedule(name),
                last=last,
                next_slot=waiting[0] if waiting else None,
            )
        )
    return out


def job_run_list(*, job: str | None = None, limit: int = 100) -> list[JobRun]:
    qs = JobRun.objects.all()
    if job:
        qs = qs.filter(job=job)
    return list(qs.order_by("-started_at", "-id")[:limit])


# --- webhooks ------------------------------------------------------------------------------------


def webhook_get(*, organisation_id: int) -> Webhook | None:
    return Webhook.objects.filter(organisation_id=organisation_id).first()


def webhook_delivery_list(*, organisation_id: int, limit: int = 50) -> list[WebhookDelivery]:
    return list(
        WebhookDelivery.objects.filter(webhook__organisation_id=organisation_id)
        .select_related("document")
        .prefetch_related("log")
        .order_by("-created_at", "-id")[:limit]
    )


# --- the exchange monitor ------------------------------------------------------------------------

GREEN, AMBER, RED = "green", "amber", "red"
STATES = (GREEN, AMBER, RED)
#: how far back the monitor looks for failed imports
FAILED_IMPORTS_DAYS = 30


@dataclass(frozen=True)
class DocumentMark:
    """The last document of a kind an organisation received: when, and when it last acknowledged one."""

    kind: str
    last: dt.datetime | None
    last_acknowledged: dt.datetime | None


@dataclass(frozen=True)
class FailedImport:
    snapshot_id: int
    at: dt.datetime
    file_name: str
    status: str
    reasons: list[str]


@dataclass
class OrgExchange:
    code: str
    name: str
    kind: str
    state: str = GREEN
    #: why it is not green, as (code, values): rendered by the page in the reader's language
    problems: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    last_snapshot: dt.datetime | None = None
    last_snapshot_applied: dt.datetime | None = None
    #: days since the last applied snapshot (providers)
    snapshot_lag_days: int | None = None
    received: dict[str, DocumentMark] = field(default_factory=dict)
    #: what it sent last (change reports, subsidy decisions): kind → moment
    sent: dict[str, dt.datetime] = field(default_factory=dict)
    unacknowledged: int = 0
    overdue: int = 0
    failed_imports: list[FailedImport] = field(default_factory=list)
    #: days of the point not closed (payment points)
    open_days: list[dt.date] = field(default_factory=list)

    def flag(self, state: str, code: str, **values: Any) -> None:
        self.problems.append((code, values))
        if STATES.index(state) > STATES.index(self.state):
            self.state = state


MONITORED_KINDS = (
    OrgKind.PROVIDER,
    OrgKind.HOUSING_OFFICE,
    OrgKind.SUBSIDY_OFFICE,
    OrgKind.PAYMENT_POINT,
)


def exchange_monitor(
    *, now: dt.datetime | None = None, kind: str = "", state: str = "", q: str = ""
) -> list[OrgExchange]:
    """Per organisation: what it sent and received last, what it has not acknowledged, failed imports,
    unclosed days, and its state: red (a document unacknowledged after EXCHANGE_ACK_LATE_DAYS, a day
    before today not closed, a provider's snapshot older than EXCHANGE_SNAPSHOT_LATE_DAYS or its
    last upload failed), amber (a document waiting for acknowledgement, today's day open past the
    cut-off), green otherwise. A fixed number of aggregate queries, whatever the number of
    organisations."""
    from merezha.payments.models import OperationalDay
    from merezha.providers.models import Snapshot

    now = now or timezone.now()
    local = timezone.localtime(now)
    today = local.date()
    orgs = Organisation.objects.filter(is_active=True, kind__in=MONITORED_KINDS)
    if kind:
        orgs = orgs.filter(kind=kind)
    if q:
        orgs = orgs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    rows = {
        o.code: OrgExchange(code=o.code, name=o.name, kind=o.kind)
        for o in orgs.order_by("kind", "code").only("code", "name", "kind")
    }
    ids = dict(orgs.values_list("pk", "code"))
    codes = list(rows)
    docs = InboxDocument.objects.exclude(kind=InboxDocument.Kind.REMINDER)
    for r in (
        docs.filter(recipient_code__in=codes)
        .values("recipient_code", "kind")
        .annotate(last=Max("created_at"), ack=Max("acknowledged_at"))
        .order_by()
    ):
        rows[r["recipient_code"]].received[r["kind"]] = DocumentMark(r["kind"], r["last"], r["ack"])
    for r in (
        docs.filter(sender_code__in=codes)
        .values("sender_code", "kind")
        .annotate(last=Max("created_at"))
        .order_by()
    ):
        rows[r["sender_code"]].sent[r["kind"]] = r["last"]
    ack_late = now - dt.timedelta(days=settings.EXCHANGE_ACK_LATE_DAYS)
    for r in (
        docs.filter(recipient_code__in=codes)
        .exclude(status=InboxDocument.Status.ACKNOWLEDGED)
        .values("recipient_code")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(created_at__lt=ack_late)))
        .order_by()
    ):
        row = rows[r["recipient_code"]]
        row.unacknowledged, row.overdue = r["n"], r["late"]
    # providers' snapshots: the last upload, the last applied, failed uploads since
    snaps = Snapshot.objects.filter(provider_id__in=list(ids))
    last_upload = dict(
        snaps.values("provider_id").annotate(m=Max("created_at")).values_list("provider_id", "m")
    )
    last_applied = dict(
        snaps.filter(status=Snapshot.Status.APPLIED)
        .values("provider_id")
        .annotate(m=Max(Coalesce("applied_at", "created_at")))
        .values_list("provider_id", "m")
    )
    failed = (
        snaps.filter(
            status__in=[Snapshot.Status.REJECTED, Snapshot.Status.FAILED],
            created_at__gte=now - dt.timedelta(days=FAILED_IMPORTS_DAYS),
        )
        .order_by("-created_at")
        .values_list("pk", "provider_id", "created_at", "file_name", "status", "report")
    )
    for pk, provider_id, at, file_name, status, report in failed:
        applied = last_applied.get(provider_id)
        if applied is not None and applied > at:
            continue  # a later upload was applied: the failure is behind it
        errors = (report or {}).get("errors") or []
        reasons = [
            (f"line {e.get('line')}: " if e.get("line") else "") + str(e.get("reason", ""))
            for e in errors[:5]
        ]
        rows[ids[provider_id]].failed_imports.append(FailedImport(pk, at, file_name, status, reasons))
    open_days = (
        OperationalDay.objects.filter(
            point_id__in=list(ids), status=OperationalDay.Status.OPEN, day__lte=today
        )
        .order_by("day")
        .values_list("point_id", "day")
    )
    for point_id, day in open_days:
        rows[ids[point_id]].open_days.append(day)
    cut = clock_time(settings.EXCHANGE_DAY_CLOSE_AT)
    past_cut = local.time() >= cut
    for pk, code in ids.items():
        row = rows[code]
        if row.kind == OrgKind.PROVIDER:
            row.last_snapshot = last_upload.get(pk)
            row.last_snapshot_applied = last_applied.get(pk)
            if row.last_snapshot_applied is None:
                row.flag(RED, "no_snapshot")
            else:
                row.snapshot_lag_days = (today - timezone.localtime(row.last_snapshot_applied).date()).days
                if row.snapshot_lag_days > settings.EXCHANGE_SNAPSHOT_LATE_DAYS:
                    row.flag(RED, "snapshot_late", days=row.snapshot_lag_days)
            if row.failed_imports:
                row.flag(RED, "import_failed", count=len(row.failed_imports))
        if row.overdue:
            row.flag(RED, "overdue", count=row.overdue, days=settings.EXCHANGE_ACK_LATE_DAYS)
        if row.unacknowledged > row.overdue:
            row.flag(AMBER, "unacknowledged", count=row.unacknowledged - row.overdue)
        before = [d for d in row.open_days if d < today]
        if before:
            row.flag(RED, "day_open", count=len(before), first=before[0].isoformat())
        elif today in row.open_days and past_cut:
            row.flag(AMBER, "today_open")
    _settlement_flags(rows, today=today)
    out = list(rows.values())
    if state:
        out = [r for r in out if r.state == state]
    return out


def exchange_monitor_counts(rows: list[OrgExchange]) -> dict[str, int]:
    return {s: sum(r.state == s for r in rows) for s in STATES}


# --- management charts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Collections:
    days: list[dt.date]
    #: provider code → amount per day (in the order of `days`)
    by_provider: dict[str, list[Money]]
    #: point code → (amount, payments) over the range
    by_point: dict[str, tuple[Money, int]]


def _money(value: Any) -> Money:
    if value is None:
        return Money(0)
    return value if isinstance(value, Money) else Money(int(value))


def collections(*, day_from: dt.date, day_to: dt.date) -> Collections:
    """Payments taken (cancelled ones left out) per operational day and provider, and per point."""
    from merezha.payments.models import Payment, PaymentLine

    days = [day_from + dt.timedelta(days=k) for k in range((day_to - day_from).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    lines = PaymentLine.objects.filter(
        operational_day__gte=day_from, operational_day__lte=day_to, payment__cancellation__isnull=True
    )
    by_provider: dict[str, list[Money]] = {}
    for r in (
        lines.values("provider__code", "operational_day").annotate(t=Sum("amount")).order_by("provider__code")
    ):
        series = by_provider.setdefault(r["provider__code"], [Money(0)] * len(days))
        series[index[r["operational_day"]]] = _money(r["t"])
    counts = dict(
        Payment.objects.filter(
            operational_day__gte=day_from, operational_day__lte=day_to, cancellation__isnull=True
        )
        .values("point__code")
        .annotate(n=Count("pk"))
        .values_list("point__code", "n")
    )
    by_point = {
        r["point__code"]: (_money(r["t"]), counts.get(r["point__code"], 0))
        for r in lines.values("point__code").annotate(t=Sum("amount")).order_by("point__code")
    }
    return Collections(days=days, by_provider=by_provider, by_point=by_point)


def debt_trend(*, months: int = 12) -> list[tuple[dt.date, Money]]:
    """The providers' balances owed at the end of each period (the sum of every account's closing
    in the periods' history), the last `months` periods."""
    from merezha.providers.models import AccountPeriod

    rows = list(
        AccountPeriod.objects.values("period").annotate(t=Sum("closing")).order_by("-period")[:months]
    )
    return [(r["period"], _money(r["t"])) for r in reversed(rows)]


def points_activity(*, day_from: dt.date, day_to: dt.date) -> list[tuple[str, int, int]]:
    """Per payment point: days with payments and payments taken in the range (active points first)."""
    from merezha.payments.models import Payment

    taken = {
        r["point__code"]: (r["days"], r["n"])
        for r in Payment.objects.filter(operational_day__gte=day_from, operational_day__lte=day_to)
        .values("point__code")
        .annotate(days=Count("operational_day", distinct=True), n=Count("pk"))
        .order_by()
    }
    points = Organisation.objects.filter(kind=OrgKind.PAYMENT_POINT, is_active=True).values_list(
        "code", flat=True
    )
    out = [(code, *taken.get(code, (0, 0))) for code in points]
    return sorted(out, key=lambda r: (-r[2], r[0]))


#: How many days back the monitor looks at settlement orders (each day's orders, by provider).
SETTLEMENT_DAYS = 7


def _settlement_flags(rows: dict[str, OrgExchange], *, today: dt.date) -> None:
    """Flag providers whose settlement orders of the last SETTLEMENT_DAYS days are not matched by the
    bank: red when an order is missing (no credit SETTLEMENT_MISSING_AFTER_DAYS banking days after
    its day), amber when a credit was short (partial)."""
    from merezha.settlements.selectors import settlement_status_by_provider

    missing: dict[str, int] = {}
    partial: dict[str, int] = {}
    for back in range(1, SETTLEMENT_DAYS + 1):
        day = today - dt.timedelta(days=back)
        for code, counts in settlement_status_by_provider(day=day, today=today).items():
            missing[code] = missing.get(code, 0) + counts.get("missing", 0)
            partial[code] = partial.get(code, 0) + counts.get("partial", 0)
    for code, row in rows.items():
        if missing.get(code):
            row.flag(RED, "settlement_missing", count=missing[code])
        if partial.get(code):
            row.flag(AMBER, "settlement_partial", count=partial[code])
