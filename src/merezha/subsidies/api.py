"""API routes of the subsidy office, mounted by merezha.api at /api/v1/.

SUBSIDY: a subsidy officer acting for its own office (others' records answer 404). ADMIN: may read
(debt status, batch checks, decisions of every office). PROVIDER: only its own part of a decision.
Anyone else: 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Form, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.responses import Status

from merezha.api_auth import require_role
from merezha.api_idempotency import IdempotencyKeyHeader, idempotency_key_of, idempotent
from merezha.api_params import Id
from merezha.core.certificates import certificate_verify_url
from merezha.core.dates import ImplausibleDate, plausible_day_check
from merezha.core.identifiers import parse_date
from merezha.core.imports import ImportRejected
from merezha.core.roles import Role
from merezha.core.services import IdempotencyConflict, idempotency_key_max_length
from merezha.formats import FormatError
from merezha.formats.writers import CONTENT_TYPES
from merezha.organisations.models import User
from merezha.subsidies.documents import batch_check_file, debt_certificate_pdf
from merezha.subsidies.models import BatchCheck, FamilyType, SubsidyDecision
from merezha.subsidies.selectors import (
    NoRuleInForce,
    batch_check_get,
    batch_check_list,
    debt_certificate_get,
    decision_get,
    decision_list,
    decision_part_get,
    household_status,
    households_find,
)
from merezha.subsidies.services import (
    batch_check_run,
    debt_certificate_issue,
    decision_submit,
    decisions_import,
)
from merezha.uploads import upload_kind

router = Router(tags=["subsidies"])
READ = (Role.SUBSIDY, Role.ADMIN)


class RowErrorOut(Schema):
    line: int
    column: str
    reason: str


class RejectedOut(Schema):
    detail: str
    errors: list[RowErrorOut]


class CertificateOut(Schema):
    number: str
    code: str
    issued_at: dt.datetime
    verify_url: str
    pdf_url: str


class BatchCheckOut(Schema):
    id: int
    file_name: str
    application_date: dt.date
    parameters_from: dt.date
    rows_read: int
    matched: int
    unmatched: int
    blocked: int
    elapsed_ms: int
    created_at: dt.datetime
    csv_url: str
    xlsx_url: str


class DecisionLineIn(Schema):
    service: str
    monthly_amount: str


class DecisionIn(Schema):
    decision: str
    tax_id: str
    dwelling_id: int | None = None
    address: str = ""
    period_from: str
    period_to: str
    lines: list[DecisionLineIn]


class DeliveryOut(Schema):
    provider: str
    document_id: int
    checksum: str
    status: str
    acknowledged_at: dt.datetime | None
    lines: list[dict[str, Any]]


class DecisionOut(Schema):
    id: int
    decision: str
    office: str
    tax_id: str
    dwelling_id: int
    period_from: str
    period_to: str
    source: str
    lines: list[dict[str, str]]
    deliveries: list[DeliveryOut]
    created_at: dt.datetime


class DecisionsUploadOut(Schema):
    rows_read: int
    decisions: list[DecisionOut]


def _scope(user: Any) -> int | None:
    return None if user.role == Role.ADMIN else user.organisation_id


def _date(text: str | None) -> dt.date:
    if not text:
        return timezone.localdate()
    try:
        day = parse_date(text)
    except ValueError as exc:
        raise HttpError(400, str(exc)) from None
    try:
        return plausible_day_check(day)
    except ImplausibleDate as exc:
        raise HttpError(422, str(exc)) from None


def _family(text: str | None) -> str:
    value = text or FamilyType.REGULAR
    if value not in FamilyType.values:
        raise HttpError(400, f"family_type must be one of {', '.join(FamilyType.values)}")
    return value


def _rejected(exc: ImportRejected) -> Status[dict[str, Any]]:
    errors = [e.as_dict() for e in sorted(exc.report.errors)]
    return Status(422, {"detail": f"nothing was applied: {len(errors)} error(s)", "errors": errors})


def _household(user: User, dwelling_id: int | None, tax_id: str, address: str) -> int:
    if dwelling_id is not None:
        return dwelling_id
    if not (tax_id or address):
        raise HttpError(400, "give dwelling_id, tax_id or address")
    found = households_find(tax_id=tax_id, address=address, user=user, channel="api")
    if found.one is None:
        if found.dwelling_ids:
            raise HttpError(409, f"{found.reason}: {', '.join(map(str, found.dwelling_ids))}")
        raise HttpError(404, found.reason)
    return found.one


@router.get("/subsidy/debt-status")
def debt_status(
    request: HttpRequest,
    dwelling_id: int | None = None,
    tax_id: str = "",
    address: str = "",
    date: str | None = None,
    family_type: str | None = None,
) -> dict[str, Any]:
    """SUBSIDY, ADMIN: a household's accounts, current and overdue debt, and the verdict as of `date`
    (default today) with the parameters it used. Find it by dwelling_id, tax_id or address. Audit-logged."""
    user = require_role(request, *READ)
    on, family = _date(date), _family(family_type)
    target = _household(user, dwelling_id, tax_id, address)
    try:
        status = household_status(dwelling_id=target, on=on, family_type=family, user=user, channel="api")
    except NoRuleInForce as exc:
        raise HttpError(422, str(exc)) from None
    if status is None:
        raise HttpError(404, "no such active dwelling")
    return status.as_dict()


class CertificateIn(Schema):
    dwelling_id: int
    date: str | None = None
    family_type: str | None = None


@router.post("/subsidy/certificates", response={201: CertificateOut})
def certificate_create(
    request: HttpRequest, body: CertificateIn, idempotency_key: IdempotencyKeyHeader = ""
) -> Status[Any]:
    """SUBSIDY only: issue a numbered certificate of the household's payment status (audit-logged).
    With an Idempotency-Key, a retry of the same body returns the first certificate and issues none;
    the same key with another body answers 409."""
    user = require_role(request, Role.SUBSIDY)

    def write() -> Status[dict[str, Any]]:
        try:
            status = household_status(
                dwelling_id=body.dwelling_id,
                on=_date(body.date),
                family_type=_family(body.family_type),
                user=user,
                channel="api",
            )
        except NoRuleInForce as exc:
            raise HttpError(422, str(exc)) from None
        if status is None:
            raise HttpError(404, "no such active dwelling")
        cert = debt_certificate_issue(user=user, status=status)
        return Status(
            201,
            {
                "number": cert.number,
                "code": cert.code,
                "issued_at": cert.issued_at,
                "verify_url": certificate_verify_url(certificate=cert, request=request),
                "pdf_url": f"/api/v1/subsidy/certificates/{cert.number}/pdf",
            },
        )

    return idempotent(
        request, idempotency_key, route="subsidy-certificate", data=body.model_dump(), write=write
    )


@router.get("/subsidy/certificates/{number}/pdf")
def certificate_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """SUBSIDY: a certificate its own office issued (others: 404); ADMIN: any."""
    user = require_role(request, *READ)
    cert = debt_certificate_get(
        number=number,
        issuer_code=None if user.role == Role.ADMIN else user.organisation.code,
        user=user,
        channel="api",
    )
    if cert is None:
        raise HttpError(404, "no such certificate of your office")
    return HttpResponse(
        debt_certificate_pdf(certificate=cert, request=request), content_type="application/pdf"
    )


def _check_out(check: BatchCheck) -> dict[str, Any]:
    return {
        "id": check.pk,
        "file_name": check.file_name,
        "application_date": check.application_date,
        "parameters_from": check.parameters.valid_from,
        "rows_read": check.rows_read,
        "matched": check.matched,
        "unmatched": check.unmatched,
        "blocked": check.blocked,
        "elapsed_ms": check.elapsed_ms,
        "created_at": check.created_at,
        "csv_url": f"/api/v1/subsidy/batch-checks/{check.pk}/file?format=csv",
        "xlsx_url": f"/api/v1/subsidy/batch-checks/{check.pk}/file?format=xlsx",
    }


@router.post("/subsidy/batch-checks", response={201: BatchCheckOut})
@upload_kind("batch_check")
def batch_check_create(
    request: HttpRequest,
    file: File[UploadedFile],
    date: Form[str] = "",
    family_type: Form[str] = "",
    idempotency_key: IdempotencyKeyHeader = "",
) -> Status[Any]:
    """SUBSIDY only: check a list of applicants (CSV/XLSX: tax_id or address, optional family_type).
    The answer file (every line with its status and verdict, and why a line was not matched) is
    at csv_url / xlsx_url. Audit-logged with every household looked up. With an Idempotency-Key, a
    retry of the same file and fields returns the first check and runs none; the same key with
    another file or fields answers 409."""
    user = require_role(request, Role.SUBSIDY)

    def write() -> Status[dict[str, Any]]:
        try:
            check = batch_check_run(
                user=user,
                source=file,
                file_name=file.name or "upload",
                application_date=_date(date),
                family_type=_family(family_type),
            )
        except FormatError as exc:
            raise HttpError(400, f"{file.name}: {exc}") from None
        except NoRuleInForce as exc:
            raise HttpError(422, str(exc)) from None
        return Status(201, _check_out(check))

    return idempotent(
        request,
        idempotency_key,
        route="subsidy-batch-check",
        data={"date": date, "family_type": family_type},
        files={"file": file},
        write=write,
    )


@router.get("/subsidy/batch-checks", response=list[BatchCheckOut])
def batch_check_index(request: HttpRequest) -> list[dict[str, Any]]:
    """SUBSIDY: its office's batch checks, newest first; ADMIN: every office's."""
    user = require_role(request, *READ)
    return [
        _check_out(c) for c in batch_check_list(office_id=_scope(user)).select_related("parameters")[:200]
    ]


@router.get("/subsidy/batch-checks/{check_id}", response=BatchCheckOut)
def batch_check_one(request: HttpRequest, check_id: int) -> dict[str, Any]:
    """SUBSIDY: one batch check of its own office (others: 404); ADMIN: any."""
    user = require_role(request, *READ)
    check = batch_check_get(check_id=check_id, office_id=_scope(user))
    if check is None:
        raise HttpError(404, "no such batch check of your office")
    return _check_out(check)


@router.get("/subsidy/batch-checks/{check_id}/file")
def batch_check_answer(request: HttpRequest, check_id: int, format: str = "csv") -> HttpResponse:
    """SUBSIDY: the answer file of its own office's batch check, csv or xlsx (others: 404); ADMIN: any."""
    user = require_role(request, *READ)
    if format not in ("csv", "xlsx"):
        raise HttpError(400, "format must be csv or xlsx")
    check = batch_check_get(check_id=check_id, office_id=_scope(user))
    if check is None:
        raise HttpError(404, "no such batch check of your office")
    response = HttpResponse(
        batch_check_file(check=check, file_format=format), content_type=CONTENT_TYPES[format]
    )
    response["Content-Disposition"] = f'attachment; filename="batch-check-{check.pk}.{format}"'
    return response


def _decision_out(d: SubsidyDecision) -> dict[str, Any]:
    return {
        "id": d.pk,
        "decision": d.number,
        "office": d.office.code,
        "tax_id": d.tax_id,
        "dwelling_id": d.dwelling_id,
        "period_from": d.period_from.strftime("%Y-%m"),
        "period_to": d.period_to.strftime("%Y-%m"),
        "source": d.source,
        "lines": [
            {"service": x.service.code, "monthly_amount": str(x.monthly_amount)} for x in d.lines.all()
        ],
        "deliveries": [
            {
                "provider": x.provider.code,
                "document_id": x.document.pk,
                "checksum": x.checksum,
                "status": x.document.status,
                "acknowledged_at": x.document.acknowledged_at,
                "lines": x.payload["lines"],
            }
            for x in d.deliveries.all()
        ],
        "created_at": d.created_at,
    }


@router.post(
    "/subsidy/decisions",
    response={201: DecisionOut, 200: DecisionOut, 422: RejectedOut},
    openapi_extra={
        "parameters": [
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": True,
                "schema": {"type": "string"},
                "description": "Required, 1 to 128 printable ASCII characters (else 422). A retry with the "
                "same key and body returns the "
                "first decision (200); the same key with another body answers 409.",
            }
        ]
    },
)
def decision_create(request: HttpRequest, body: DecisionIn) -> Status[dict[str, Any]]:
    """SUBSIDY only: record one decision and route each provider of the household its lines.
    Requires an Idempotency-Key header: a retry with the same key and body returns the first answer
    (200); the same key with another body is refused (409)."""
    user = require_role(request, Role.SUBSIDY)
    key = idempotency_key_of(request)
    if not key:
        raise HttpError(
            422,
            f"an Idempotency-Key header of 1 to {idempotency_key_max_length()} printable ASCII "
            "characters is required",
        )
    try:
        decision, created = decision_submit(user=user, data=body.dict(), source="api", idempotency_key=key)
    except ImportRejected as exc:
        return _rejected(exc)
    except IdempotencyConflict:
        raise HttpError(409, "this Idempotency-Key was used with another request") from None
    fresh = decision_get(decision_id=decision.pk, office_id=None)
    return Status(201 if created else 200, _decision_out(fresh or decision))


@router.post("/subsidy/decisions/upload", response={201: DecisionsUploadOut, 422: RejectedOut})
@upload_kind("decisions")
def decisions_upload(
    request: HttpRequest, file: File[UploadedFile], idempotency_key: IdempotencyKeyHeader = ""
) -> Status[Any]:
    """SUBSIDY only: a decisions file (CSV/XLSX/JSON/DBF, one row per decision and service), all or nothing.
    With an Idempotency-Key, a retry of the same file returns the first answer and records nothing;
    the same key with another file answers 409."""
    user = require_role(request, Role.SUBSIDY)

    def write() -> Status[dict[str, Any]]:
        try:
            created, report = decisions_import(user=user, source=file, file_name=file.name or "upload")
        except ImportRejected as exc:
            return _rejected(exc)
        ids = [d.pk for d in created]
        rows = decision_list(office_id=None).filter(pk__in=ids).order_by("pk")
        return Status(201, {"rows_read": report.rows_read, "decisions": [_decision_out(d) for d in rows]})

    return idempotent(
        request, idempotency_key, route="subsidy-decisions-upload", data={}, files={"file": file}, write=write
    )


@router.get("/subsidy/decisions", response=list[DecisionOut])
def decision_index(request: HttpRequest) -> list[dict[str, Any]]:
    """SUBSIDY: its office's decisions with delivery and acknowledgement per provider; ADMIN: all."""
    user = require_role(request, *READ)
    return [_decision_out(d) for d in decision_list(office_id=_scope(user))[:500]]


@router.get("/subsidy/decisions/{decision_id}", response=DecisionOut)
def decision_one(request: HttpRequest, decision_id: int) -> dict[str, Any]:
    """SUBSIDY: one decision of its own office (others: 404); ADMIN: any."""
    user = require_role(request, *READ)
    decision = decision_get(decision_id=decision_id, office_id=_scope(user))
    if decision is None:
        raise HttpError(404, "no such decision of your office")
    return _decision_out(decision)


@router.get("/subsidy/decisions/{decision_id}/part")
def decision_part(request: HttpRequest, decision_id: Id) -> dict[str, Any]:
    """PROVIDER only: its own part of a decision delivered to it (the lines for its services), with the
    checksum of its inbox document. A decision not delivered to the caller's organisation: 404."""
    user = require_role(request, Role.PROVIDER)
    delivery = decision_part_get(decision_id=decision_id, provider_id=user.organisation_id)
    if delivery is None:
        raise HttpError(404, "no such decision delivered to your organisation")
    return {"document_id": delivery.document.pk, "checksum": delivery.checksum, **delivery.payload}
