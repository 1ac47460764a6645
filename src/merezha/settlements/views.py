"""Pages of the settlements app: the four-way reconciliation, its XLSX export, a statement upload,
and the payment points' and operators' settlement terms.

Who may call them: an information-centre admin (every provider, or one) and a provider operator
(its own only: another provider's code answers 404); the terms, the information-centre admin only.
Anyone else gets 403.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merezha.core.identifiers import parse_date
from merezha.core.reasons import reason_localise
from merezha.core.roles import Role
from merezha.organisations.models import Organisation
from merezha.organisations.permissions import MemberRequest, role_required
from merezha.organisations.selectors import organisation_names
from merezha.settlements.rules import STATEMENT_MAX_BYTES
from merezha.settlements.selectors import (
    STATUS_UK,
    settlement_reconciliation,
    settlement_reconciliation_xlsx,
    settlement_scope,
    settlement_terms_list,
)
from merezha.settlements.services import SettlementError, settlement_terms_set, statement_import


def _params(request: HttpRequest) -> tuple[dt.date, str, Organisation | None]:
    text = request.GET.get("day", "")
    error = ""
    day = timezone.localdate() - dt.timedelta(days=1)
    if text:
        try:
            day = parse_date(text)
        except ValueError as exc:
            error = str(exc)
    scope, ok = settlement_scope(user=request.user, provider_code=request.GET.get("provider", ""))
    if not ok:
        raise Http404("no such provider")
    return day, error, scope


@role_required(Role.ADMIN, Role.PROVIDER)
def reconciliation_page(request: HttpRequest) -> HttpResponse:
    """Admin (any provider, or all) or provider (own only): the day's settlement, four ways."""
    day, error, scope = _params(request)
    rec = settlement_reconciliation(day=day, provider=scope)
    codes = {r.provider for r in rec.rows} | {r.payer for r in rec.rows}
    return render(
        request,
        "settlements/reconciliation.html",
        {
            "rec": rec,
            "day": day,
            "scope": scope,
            "error": error,
            "names": organisation_names(codes=codes),
            "labels": STATUS_UK,
            "is_admin": request.user.role == Role.ADMIN,  # type: ignore[union-attr]
            "counts": {s: rec.count(s) for s in ("matched", "partial", "missing", "pending", "no_order")},
        },
        status=400 if error else 200,
    )


@role_required(Role.ADMIN, Role.PROVIDER)
def reconciliation_xlsx(request: HttpRequest) -> HttpResponse:
    """Admin or provider (own only): the reconciliation as XLSX with Ukrainian headers."""
    day, error, scope = _params(request)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    rec = settlement_reconciliation(day=day, provider=scope)
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        settlement_reconciliation_xlsx(rec=rec, path=path)
        with open(path, "rb") as fh:
            content = fh.read()
    finally:
        os.unlink(path)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="settlement-{rec.provider or "all"}-{day}.xlsx"'
    return response


@require_POST
@role_required(Role.ADMIN, Role.PROVIDER)
def statement_upload(request: MemberRequest) -> HttpResponse:
    """Admin, or provider (credits to its own accounts only): import a bank statement."""
    upload = request.FILES.get("file")
    back = reverse("settlement-reconciliation") + "?" + request.GET.urlencode()
    if upload is None:
        messages.error(request, _("Choose a statement file."))
        return redirect(back)
    if upload.size is not None and upload.size > STATEMENT_MAX_BYTES:
        messages.error(request, _("The file is too large."))
        return redirect(back)
    try:
        result = statement_import(data=upload.read(), name=upload.name or "", user=request.user)
    except SettlementError as exc:
        messages.error(
            request, _("The statement was refused: %(reason)s") % {"reason": reason_localise(str(exc))}
        )
        return redirect(back)
    if result.created:
        messages.success(
            request,
            _("Statement %(id)s imported: matched %(matched)s, unexpected %(unexpected)s.")
            % {
                "id": result.statement.statement_id,
                "matched": result.matched,
                "unexpected": result.unexpected,
            },
        )
    else:
        messages.info(request, _("This statement was imported before; nothing changed."))
    return redirect(back)


#: a commission as typed: per cent with at most two decimal places, a comma or a dot (no exponent:
#: `1e999999999` would be a number of a billion digits)
_PERCENT = re.compile(r"(-?)(\d+)(?:[.,](\d{1,2}))?")


def _commission_bp(text: str) -> int | None:
    """A commission typed in per cent (`1,25` or `1.25`) in basis points (125); None if it is not one."""
    found = _PERCENT.fullmatch(text.strip() or "0")
    if found is None:
        return None
    sign, whole, hundredths = found.groups()
    bp = int(whole) * 100 + int((hundredths or "0").ljust(2, "0"))
    return -bp if sign else bp


@role_required(Role.ADMIN)
def terms_page(request: MemberRequest) -> HttpResponse:
    """Information-centre admin: every payment point's and operator's settlement terms, and a form
    that sets one's (gross, or net of a commission in per cent; an operator's by agent)."""
    errors: list[str] = []
    typed = {"org": "", "mode": "gross", "commission": "", "by_agent": False}
    if request.method == "POST":
        typed = {
            "org": request.POST.get("org", "")[:64],
            "mode": request.POST.get("mode", "")[:16],
            "commission": request.POST.get("commission", "")[:32],
            "by_agent": request.POST.get("by_agent") == "1",
        }
        org = Organisation.objects.filter(code=typed["org"]).first() if typed["org"] else None
        bp = _commission_bp(str(typed["commission"]))
        if org is None:
            errors.append(_("Choose a payment point or an operator."))
        if bp is None:
            errors.append(_("The commission is a percentage with at most two decimal places, e.g. 1,25."))
        elif not 0 <= bp <= 10_000:
            errors.append(_("The commission is a percentage from 0 to 100."))
            bp = None
        if org is not None and bp is not None:
            try:
                settlement_terms_set(
                    organisation=org,
                    mode=str(typed["mode"]),
                    commission_bp=bp,
                    by_agent=bool(typed["by_agent"]),
                )
            except SettlementError as exc:
                errors.append(reason_localise(str(exc)))
            else:
                messages.success(
                    request, _("The settlement terms of %(name)s are saved.") % {"name": org.name}
                )
                return redirect("settlement-terms")
    return render(
        request,
        "settlements/terms.html",
        {"rows": settlement_terms_list(), "typed": typed, "errors": errors},
        status=400 if errors else 200,
    )
