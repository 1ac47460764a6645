"""The information centre's audit viewer: who looked up whose data, filtered, paged and exported.

Every view here is for the ADMIN role (the information centre) only: anyone else gets 403, a
visitor the login page.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from merezha.audit.forms import AuditFilterForm
from merezha.audit.selectors import (
    AUDIT_EXPORT_HEADER,
    PAGE_SIZE,
    AuditFilter,
    audit_entries,
    audit_export_rows,
    audit_row,
)
from merezha.core.roles import Role
from merezha.housing.exports import xlsx_response
from merezha.organisations.permissions import role_required
from merezha.organisations.selectors import organisation_list


def _form(request: HttpRequest) -> AuditFilterForm:
    organisations = [(o.code, f"{o.name} ({o.code})") for o in organisation_list().order_by("code")]
    return AuditFilterForm(request.GET, organisations=organisations)


def _errors(form: AuditFilterForm) -> list[str]:
    return [str(e) for errors in form.errors.values() for e in errors]


@role_required(Role.ADMIN)
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """ADMIN only: the audit log, newest first, filtered by date, organisation, user, action,
    dwelling and tax id, 50 entries a page."""
    form = _form(request)
    valid = form.is_valid()
    filters = form.filters() if valid else AuditFilter()
    page = Paginator(
        audit_entries(filters=filters) if valid else audit_entries(filters=filters).none(), PAGE_SIZE
    )
    current = page.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/log.html",
        {
            "form": form,
            "errors": [] if valid else _errors(form),
            "page": current,
            "rows": [audit_row(e) for e in current.object_list],
            "query": query.urlencode(),
        },
        status=200 if valid else 400,
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterator[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff" + writer.writerow([str(h) for h in AUDIT_EXPORT_HEADER])  # a BOM: Excel reads it as UTF-8
    for row in rows:
        yield writer.writerow(row)


@role_required(Role.ADMIN)
@require_GET
def audit_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """ADMIN only: the entries the same filters show, every one of them, as CSV (`;`, UTF-8) or XLSX,
    with the column headers in the reader's language."""
    form = _form(request)
    if file_format not in ("csv", "xlsx"):
        return HttpResponse(_("format: csv or xlsx"), status=404, content_type="text/plain; charset=utf-8")
    if not form.is_valid():
        return HttpResponse("; ".join(_errors(form)), status=400, content_type="text/plain; charset=utf-8")
    rows = audit_export_rows(filters=form.filters())
    name = f"audit-{timezone.localdate():%Y-%m-%d}.{file_format}"
    if file_format == "xlsx":
        response: Any = xlsx_response(
            filename=name, sheet=_("Audit"), header=[str(h) for h in AUDIT_EXPORT_HEADER], rows=rows
        )
        return response  # type: ignore[no-any-return]
    streaming = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
    streaming["Content-Disposition"] = f'attachment; filename="{name}"'
    return streaming  # type: ignore[return-value]
