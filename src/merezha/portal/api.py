"""API routes of the portal, mounted by merezha.api under /api/v1/bills: the bill's figures for providers."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.errors import HttpError

from merezha.core.roles import Role
from merezha.portal import selectors

router = Router(tags=["bills"])

#: the columns of the CSV, and the keys of each JSON row (docs/reference/bill.md)
COLUMNS = [
    "dwelling_code",
    "address",
    "office",
    "account",
    "service",
    "period",
    "opening",
    "charged",
    "recalc",
    "benefit",
    "subsidy",
    "paid",
    "closing",
    "paid_since",
    "debt",
    "as_of",
    "qr_url",
]


def require_role(request: HttpRequest, *roles: str) -> Any:
    from merezha.api_auth import require_role as check  # merezha.api mounts this router: import late

    return check(request, *roles)


@router.get("/lines")
def bill_lines(request: HttpRequest, format: str = "json", office: str = "") -> HttpResponse:
    """PROVIDER: the unified bill's figures of the caller's own accounts (one row per account of a
    dwelling), as `json` or `csv`; `office` narrows to one housing office's dwellings (others: 403)."""
    user = require_role(request, Role.PROVIDER)
    if format not in ("json", "csv"):
        raise HttpError(400, "format: one of json, csv")
    rows = list(selectors.provider_bill_lines(provider=user.organisation, office_code=office.strip()))
    if format == "json":
        body = json.dumps({"provider": user.organisation.code, "lines": rows}, ensure_ascii=False)
        return HttpResponse(body, content_type="application/json; charset=utf-8")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bills-{user.organisation.code}.csv"'
    return response
