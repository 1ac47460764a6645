"""API routes of the housing app, mounted by merezha.api: change reports for providers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.errors import HttpError

from merezha.core.roles import Role
from merezha.housing import selectors

router = Router(tags=["housing"])


def require_role(request: HttpRequest, *roles: str) -> Any:
    from merezha.api_auth import require_role as check  # merezha.api mounts this router: import late

    return check(request, *roles)


class ChangeReportOut(Schema):
    id: int
    office: str
    month: str
    count: int
    checksum: str
    created_at: dt.datetime
    inbox_document: int | None


def _out(r: Any) -> dict[str, Any]:
    return {
        "id": r.pk,
        "office": r.office.code,
        "month": f"{r.month:%Y-%m}",
        "count": r.line_count,
        "checksum": r.checksum,
        "created_at": r.created_at,
        "inbox_document": r.inbox_document_id,
    }


@router.get("/change-reports", response=list[ChangeReportOut])
def change_reports(request: HttpRequest) -> list[dict[str, Any]]:
    """PROVIDER: the change reports addressed to the caller's provider, newest first (others: 403)."""
    user = require_role(request, Role.PROVIDER)
    return [_out(r) for r in selectors.change_report_list(provider=user.organisation)[:1000]]


@router.get("/change-reports/{report_id}")
def change_report(request: HttpRequest, report_id: int, format: str = "json") -> HttpResponse:
    """PROVIDER: one change report addressed to the caller's provider as `csv`, `xlsx` or `json`
    (another provider's report: 404; other roles: 403)."""
    user = require_role(request, Role.PROVIDER)
    report = selectors.change_report_for_provider(provider=user.organisation, report_id=report_id)
    if report is None:
        raise HttpError(404, "no such change report for your organisation")
    if format not in selectors.CHANGE_REPORT_FORMATS:
        raise HttpError(400, "format: csv, xlsx or json")
    content, ctype, name = selectors.change_report_file(report=report, fmt=format)
    response = HttpResponse(content, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
