"""Subsidy decisions: validated, recorded and routed to the household's providers.

Decisions are applied atomically (a file with one bad row changes nothing and lists every rejected
row as line, column, reason) and routed, in the same transaction, to every provider of the
household's services as one inbox document per provider holding only that provider's lines.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from merezha.core.dates import plausible_period_check
from merezha.core.identifiers import parse_period, tax_id_normalise
from merezha.core.imports import ImportRejected, ImportReport, columns_check, file_checksum
from merezha.core.models import InboxDocument
from merezha.core.money import Money, MoneyError
from merezha.core.services import (
    audit_record,
    idempotency_claim,
    idempotency_complete,
    inbox_deliver,
    request_fingerprint,
)
from merezha.formats import FormatError, open_table, source_name
from merezha.formats.limits import file_limits
from merezha.organisations.models import Organisation, Service, User
from merezha.providers.models import Account
from merezha.registry.matching import MatchStatus
from merezha.registry.models import Dwelling, Person
from merezha.registry.selectors import DwellingIndex, dwelling_index_build
from merezha.registry.services.registry_import import rntrc_lost_zero
from merezha.subsidies.models import DecisionDelivery, SubsidyDecision, SubsidyDecisionLine
from merezha.subsidies.selectors import dwelling_labels, text_clean

DECISION_COLUMNS = ("decision", "tax_id", "dwelling_id", "address", "period_from", "period_to")
#: DBF field names (at most 10 characters) of a decisions file: the column names where they fit, the
#: names dBase tools cut the longer ones to, and the legacy names of the other exchange files.
DECISION_DBF_FIELDS = {
    "DECISION": "decision",
    "TAX_ID": "tax_id",
    "IDCODE": "tax_id",
    "DWELLING": "dwelling_id",
    "DWELLING_I": "dwelling_id",
    "ADDRESS": "address",
    "ADRES": "address",
    "PERIOD_FRO": "period_from",
    "PER_FROM": "period_from",
    "PERIOD_TO": "period_to",
    "PER_TO": "period_to",
    "SERVICE": "service",
    "USLUGA": "service",
    "MONTHLY_AM": "monthly_amount",
    "SUMMA": "monthly_amount",
}


@dataclass
class _DecisionDraft:
    number: str
    line: int
    head: dict[str, str]
    lines: list[tuple[int, str, str]] = field(default_factory=list)  # (line, service, amount)
    #: the dwelling as the decision's later rows give it: (line, dwelling_id, address), checked once the
    #: first row's dwelling is known
    dwellings: list[tuple[int, str, str]] = field(default_factory=list)


def _same_value(column: str, first: str, later: str) -> bool:
    """Whether a later row of a decision gives the same header value as its first row: compared as parsed
    (`2026-11` is `2026-11-01`, `1234 567 899` is `1234567899`), as written when either does not parse
    (the first row's value is checked, and refused, on its own)."""
    if first == later:
        return True
    if column == "tax_id":
        a, b = _tax_id_read(first), _tax_id_read(later)
        return a == b or a == rntrc_lost_zero(b) or b == rntrc_lost_zero(a)
    try:
        return parse_period(first) == parse_period(later)
    except ValueError:
        return False


def _tax_id_read(text: str) -> str:
    """The tax id a value reads as (`1234 567 899` → `1234567899`), or the value when it reads as none."""
    try:
        return tax_id_normalise(text)
    except ValueError:
        return text


def _canonical_checksum(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _differs(line: int) -> str:
    return _("differs from line %(line)d of the same decision") % {"line": line}


def decision_rows_to_drafts(
    rows: Iterable[tuple[int, dict[str, str]]], report: ImportReport
) -> list[_DecisionDraft]:
    """Group flat rows (one per decision and service) by decision number; header fields must agree."""
    drafts: dict[str, _DecisionDraft] = {}
    for line, raw in rows:
        row = {k: text_clean(v) for k, v in raw.items()}
        if not any(row.values()):
            continue
        report.rows_read += 1
        number = row.get("decision") or ""
        if not number:
            report.reject(line, "decision", _("the decision number is missing"))
            continue
        if len(number) > 32:
            report.reject(line, "decision", _("a decision number has at most 32 characters"))
            continue
        head = {c: row.get(c) or "" for c in DECISION_COLUMNS}
        draft = drafts.get(number)
        if draft is None:
            draft = drafts[number] = _DecisionDraft(number, line, head)
        else:
            for column in ("tax_id", "period_from", "period_to"):
                if not _same_value(column, draft.head[column], head[column]):
                    report.reject(line, column, _differs(draft.line))
            if rntrc_lost_zero(_tax_id_read(draft.head["tax_id"])) == _tax_id_read(head["tax_id"]):
                draft.head["tax_id"] = head["tax_id"]  # this row writes the РНОКПП with its leading zero
            draft.dwellings.append((line, head["dwelling_id"], head["address"]))
        draft.lines.append(
            (line, (row.get("service") or "").strip(), (row.get("monthly_amount") or "").strip())
        )
    return list(drafts.values())


@dataclass
class _Valid:
    draft: _DecisionDraft
    tax_id: str
    dwelling_id: int
    period_from: dt.date
    period_to: dt.date
    lines: list[tuple[str, Money]]


def _validate_drafts(
    drafts: list[_DecisionDraft], *, office: Organisation, report: ImportReport
) -> list[_Valid]:
    services = {s.code: s.code for s in Service.objects.all()}
    existing = set(
        SubsidyDecision.objects.filter(office=office, number__in=[d.number for d in drafts]).values_list(
            "number", flat=True
        )
    )
    index: DwellingIndex | None = None
    valid: list[_Valid] = []
    for d in drafts:
        errors_before = len(report.errors)
        if d.number in existing:
            report.reject(d.line, "decision", _("decision %(n)s is already recorded") % {"n": d.number})
        tax_id = ""
        try:
            tax_id = tax_id_normalise(d.head["tax_id"])
            if not tax_id:
                report.reject(d.line, "tax_id", _("the applicant's tax id is missing"))
        except ValueError as exc:
            report.reject(d.line, "tax_id", str(exc))
        dwelling_id: int | None = None
        if d.head["dwelling_id"]:
            raw = d.head["dwelling_id"]
            if not raw.isdigit() or not Dwelling.objects.filter(pk=int(raw), is_active=True).exists():
                report.reject(d.line, "dwelling_id", _("no active dwelling %(id)s") % {"id": raw})
            else:
                dwelling_id = int(raw)
        if d.head["address"]:
            if index is None:
                index = dwelling_index_build()
            match = index.match_text(d.head["address"])
            if match.status is not MatchStatus.MATCHED:
                report.reject(d.line, "address", match.reason or match.status.value)
            elif dwelling_id is not None and match.dwelling_id != dwelling_id:
                report.reject(
                    d.line, "address", _("the address is not dwelling %(id)d") % {"id": dwelling_id}
                )
            else:
                dwelling_id = match.dwelling_id
        elif not d.head["dwelling_id"]:
            report.reject(d.line, "dwelling_id", _("give the dwelling id or the address"))
        for line, id_text, address in d.dwellings:  # the later rows name the same dwelling
            if (id_text, address) == (d.head["dwelling_id"], d.head["address"]):
                continue
            if dwelling_id is None:  # the first row's dwelling is refused: compare as written
                column = "dwelling_id" if id_text != d.head["dwelling_id"] else "address"
                report.reject(line, column, _differs(d.line))
            elif id_text and not (id_text.isdigit() and int(id_text) == dwelling_id):
                report.reject(line, "dwelling_id", _differs(d.line))
            elif address:
                if index is None:
                    index = dwelling_index_build()
                found = index.match_text(address)
                if found.status is not MatchStatus.MATCHED or found.dwelling_id != dwelling_id:
                    report.reject(line, "address", _differs(d.line))
            elif not id_text:
                report.reject(line, "dwelling_id", _differs(d.line))
        lost_zero = rntrc_lost_zero(tax_id)
        if (
            lost_zero
            and dwelling_id is not None
            and Person.objects.filter(dwelling_id=dwelling_id, is_active=True, tax_id=lost_zero).exists()
        ):
            tax_id = lost_zero  # a РНОКПП kept as a number lost its zero: the register knows it
        periods: dict[str, dt.date] = {}
        for column in ("period_from", "period_to"):
            try:
                periods[column] = plausible_period_check(parse_period(d.head[column]))
            except ValueError as exc:  # ImplausibleDate is one too
                report.reject(d.line, column, str(exc))
        if len(periods) == 2 and periods["period_to"] < periods["period_from"]:
            report.reject(d.line, "period_to", _("the period ends before it starts"))
        lines: list[tuple[str, Money]] = []
        seen: set[str] = set()
        for line, service, amount_text in d.lines:
            code = services.get(service.lower())
            if code is None:
                report.reject(line, "service", _("unknown service %(s)r") % {"s": service})
                continue
            if code in seen:
                report.reject(line, "service", _("service %(s)s appears twice in the decision") % {"s": code})
                continue
            seen.add(code)
            try:
                amount = Money.parse(amount_text)
            except MoneyError as exc:
                report.reject(line, "monthly_amount", str(exc))
                continue
            if not amount.is_positive():
                report.reject(line, "monthly_amount", _("the monthly amount must be positive"))
                continue
            lines.append((code, amount))
        if len(report.errors) == errors_before and dwelling_id is not None:
            valid.append(_Valid(d, tax_id, dwelling_id, periods["period_from"], periods["period_to"], lines))
    return valid


def _route(valid: _Valid, report: ImportReport) -> dict[str, list[tuple[str, Money, list[str]]]] | None:
    """provider code → [(service, amount, account numbers)]; None (with errors) when a service has no provider."""
    accounts = (
        Account.objects.filter(
            dwelling_id=valid.dwelling_id, is_active=True, service__code__in=[s for s, _a in valid.lines]
        )
        .order_by("provider__code", "number")
        .values_list("provider__code", "service__code", "number")
    )
    by_service: dict[str, dict[str, list[str]]] = {}
    for pcode, scode, number in accounts:
        by_service.setdefault(scode, {}).setdefault(pcode, []).append(number)
    routes: dict[str, list[tuple[str, Money, list[str]]]] = {}
    ok = True
    for line, service, _amount in valid.draft.lines:
        code = service.lower()
        amount = dict(valid.lines).get(code)
        if amount is None:
            continue
        providers = by_service.get(code)
        if not providers:
            report.reject(
                line,
                "service",
                _("no provider has an active account for %(s)s at this dwelling") % {"s": code},
            )
            ok = False
            continue
        for pcode, numbers in providers.items():
            routes.setdefault(pcode, []).append((code, amount, numbers))
    return routes if ok else None


def _deliver(
    *, decision: SubsidyDecision, routes: dict[str, list[tuple[str, Money, list[str]]]], label: str
) -> None:
    providers = {o.code: o for o in Organisation.objects.filter(code__in=list(routes))}
    for pcode in sorted(routes):
        payload = {
            "decision": decision.number,
            "office": decision.office.code,
            "tax_id": decision.tax_id,
            "dwelling_id": decision.dwelling_id,
            "address": label,
            "period_from": decision.period_from.strftime("%Y-%m"),
            "period_to": decision.period_to.strftime("%Y-%m"),
            "provider": pcode,
            "lines": [
                {"service": s, "monthly_amount": str(a), "accounts": numbers}
                for s, a, numbers in routes[pcode]
            ],
        }
        checksum = _canonical_checksum(payload)
        document = inbox_deliver(
            kind=InboxDocument.Kind.SUBSIDY_DECISION,
            sender_code=decision.office.code,
            recipient_code=pcode,
            values={"number": decision.number, "from": payload["period_from"], "to": payload["period_to"]},
            object_type="subsidy_decision",
            object_id=str(decision.pk),
            checksum=checksum,
        )
        DecisionDelivery.objects.create(
            decision=decision,
            provider=providers[pcode],
            payload=payload,
            checksum=checksum,
            document=document,
        )


def decisions_apply(
    *,
    user: Any,
    rows: Iterable[tuple[int, dict[str, str]]],
    source: str,
    file_name: str = "",
    checksum: str = "",
) -> tuple[list[SubsidyDecision], ImportReport]:
    """Validate, record and route decisions given as flat rows; all or nothing (ImportRejected)."""
    report = ImportReport(file_name=file_name)
    started = time.perf_counter()
    office = user.organisation
    drafts = decision_rows_to_drafts(rows, report)
    if not drafts and not report.errors:
        report.reject(1, "", _("no decisions in the input"))
    valid = _validate_drafts(drafts, office=office, report=report)
    created: list[SubsidyDecision] = []
    with transaction.atomic():
        if not report.errors:
            labels = dwelling_labels(dwelling_ids=[v.dwelling_id for v in valid])
            for v in valid:
                routes = _route(v, report)
                if routes is None:
                    continue
                body = {
                    "decision": v.draft.number,
                    "tax_id": v.tax_id,
                    "dwelling_id": v.dwelling_id,
                    "period_from": v.period_from.isoformat(),
                    "period_to": v.period_to.isoformat(),
                    "lines": [[s, str(a)] for s, a in v.lines],
                }
                try:
                    with transaction.atomic():  # the unique (office, number) row settles a race
                        decision = SubsidyDecision.objects.create(
                            office=office,
                            number=v.draft.number,
                            tax_id=v.tax_id,
                            dwelling_id=v.dwelling_id,
                            address=v.draft.head["address"][:200],
                            period_from=v.period_from,
                            period_to=v.period_to,
                            source=source,
                            file_name=file_name[:200],
                            checksum=checksum or _canonical_checksum(body),
                            created_by=user,
                        )
                except IntegrityError:
                    report.reject(
                        v.draft.line,
                        "decision",
                        _("decision %(n)s is already recorded") % {"n": v.draft.number},
                    )
                    continue
                SubsidyDecisionLine.objects.bulk_create(
                    [
                        SubsidyDecisionLine(decision=decision, service_id=sid, monthly_amount=a)  # type: ignore[misc]
                        for sid, a in zip(
                            _service_ids([s for s, _a in v.lines]), [a for _s, a in v.lines], strict=True
                        )
                    ]
                )
                _deliver(decision=decision, routes=routes, label=labels.get(v.dwelling_id, ""))
                audit_record(
                    user=user,
                    action="subsidy.decision_create",
                    object_type="dwelling",
                    object_id=str(v.dwelling_id),
                    detail={"decision": decision.number, "providers": sorted(routes)},
                )
                created.append(decision)
        if report.errors:
            transaction.set_rollback(True)
            report.elapsed = time.perf_counter() - started
            raise ImportRejected(report)
    report.rows_applied = report.rows_read
    report.applied = True
    report.changes = {"decisions": len(created)}
    report.elapsed = time.perf_counter() - started
    return created, report


def _service_ids(codes: list[str]) -> list[int]:
    ids = dict(Service.objects.filter(code__in=codes).values_list("code", "pk"))
    return [ids[c] for c in codes]


def decisions_import(
    *, user: User, source: str | IO[bytes], file_name: str = ""
) -> tuple[list[SubsidyDecision], ImportReport]:
    """Apply a decisions file (CSV/XLSX/JSON/DBF, one row per decision and service), atomically."""
    checksum = file_checksum(source)
    try:
        with open_table(
            source, name=file_name or None, dbf_fields=DECISION_DBF_FIELDS, limits=file_limits("decisions")
        ) as table:
            report = ImportReport(file_name=table.name, file_format=table.format)
            if table.format != "json" and not columns_check(
                report,
                columns=table.columns,
                required=("decision", "monthly_amount", "service"),
                known=(*DECISION_COLUMNS, "service", "monthly_amount"),
                line=table.header_line,
                translate=_,
            ):
                raise ImportRejected(report)
            created, report = decisions_apply(
                user=user,
                rows=table.rows,
                source=SubsidyDecision.Source.FILE,
                file_name=table.name,
                checksum=checksum,
            )
            report.file_format, report.encoding = table.format, table.encoding or ""
            return created, report
    except FormatError as exc:
        report = ImportReport(file_name=source_name(source, file_name or None))
        report.reject(exc.line or 1, exc.column, exc.reason)
        raise ImportRejected(report) from None


def decision_payload_rows(data: dict[str, Any]) -> Iterator[tuple[int, dict[str, str]]]:
    """One decision as given to the API or the page → flat rows (line = the line's position, from 1)."""
    head = {c: "" if data.get(c) is None else str(data.get(c)).strip() for c in DECISION_COLUMNS}
    lines = data.get("lines") or []
    if not lines:
        yield 1, {**head, "service": "", "monthly_amount": ""}
    for i, line in enumerate(lines, start=1):
        yield (
            i,
            {
                **head,
                "service": str(line.get("service") or ""),
                "monthly_amount": str(line.get("monthly_amount") or ""),
            },
        )


def decision_submit(
    *, user: Any, data: dict[str, Any], source: str, idempotency_key: str = ""
) -> tuple[SubsidyDecision, bool]:
    """One decision from the page or the API: (decision, created?). A retried key returns the first one."""
    rows = list(decision_payload_rows(data))
    with transaction.atomic():
        if idempotency_key:
            claim = idempotency_claim(
                scope=f"subsidy_decision:{user.organisation.code}",
                key=idempotency_key,
                fingerprint=request_fingerprint(data),
            )
            if not claim.is_new:
                return SubsidyDecision.objects.get(pk=int(claim.row.result_id)), False
        created, _report = decisions_apply(user=user, rows=rows, source=source)
        if not created:  # every line accounted for by an error: unreachable without ImportRejected
            raise ImportRejected(_report)
        if idempotency_key:
            idempotency_complete(claim=claim, result_type="subsidy_decision", result_id=str(created[0].pk))
    return created[0], True
