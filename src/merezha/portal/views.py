"""The resident's pages (/resident/), the housing office's bill and access-code actions, bill batches.

Who may call each view is said in its docstring. The resident's pages need no staff account: a
resident signs in with the access code printed on the bill and an account number of the dwelling,
and the session then holds that one dwelling (and the code's nonce: a rotated code ends it).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from merezha.api_auth import client_address
from merezha.core.certificates import certificate_verify_url, qr_data_uri, render_pdf
from merezha.core.money import Money
from merezha.core.roles import Role
from merezha.organisations.models import Organisation
from merezha.organisations.permissions import MemberRequest, role_required
from merezha.payments.selectors import dwelling_accounts_with_debt
from merezha.portal import selectors, services
from merezha.portal.models import BillBatch
from merezha.registry.models import Dwelling

_SESSION = "portal_dwelling"


def _client(request: HttpRequest) -> str:
    """The client's address as the other throttles count it (behind TRUSTED_PROXY_COUNT proxies)."""
    return client_address(request) or "unknown"


def resident_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The view needs a resident's session whose access code is still current; else the sign-in page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        held = request.session.get(_SESSION) or {}
        dwelling_id, nonce = held.get("id"), held.get("nonce", "")
        if not dwelling_id or not services.resident_session_valid(dwelling_id=dwelling_id, nonce=nonce):
            request.session.pop(_SESSION, None)
            return redirect("resident-sign-in")
        return view(request, dwelling_id, *args, **kwargs)

    return wrapped


def _dwelling(dwelling_id: int) -> Any:
    dwelling = Dwelling.objects.select_related("building__street", "office").filter(pk=dwelling_id).first()
    if dwelling is None:
        raise Http404
    return dwelling


@require_http_methods(["GET", "POST"])
def resident_sign_in(request: HttpRequest) -> HttpResponse:
    """Anyone: the sign-in form (access code + account number); rate-limited and locked after failures."""
    error, locked, status = "", False, 200
    account = request.POST.get("account", "").strip()[:32]
    if request.method == "POST":
        code = request.POST.get("code", "")[:40]
        result = services.resident_sign_in(code=code, account=account, client=_client(request))
        if result.dwelling_id is not None:
            request.session.cycle_key()
            request.session[_SESSION] = {"id": result.dwelling_id, "nonce": result.nonce}
            return redirect("resident-home")
        locked, status = result.locked, 403 if result.locked else 400
        error = (
            _(
                "Too many wrong attempts. The form is locked for %(minutes)s minutes; your housing office can give you a new code."
            )
            % {"minutes": settings.PORTAL_LOCKOUT_MINUTES}
            if locked
            else _("The access code or the account number is wrong.")
        )
    elif account:
        locked = (
            services.sign_in_failures(account=account, client=_client(request))
            >= settings.PORTAL_MAX_FAILURES
        )
    return render(
        request,
        "portal/sign_in.html",
        {"error": error, "locked": locked, "account": account},
        status=status,
    )


@require_POST
def resident_sign_out(request: HttpRequest) -> HttpResponse:
    """Anyone: end the resident's session."""
    request.session.pop(_SESSION, None)
    return redirect("resident-sign-in")


@require_GET
@resident_required
def resident_home(request: HttpRequest, dwelling_id: int) -> HttpResponse:
    """Resident (own dwelling): every debt with its "as of"."""
    accounts = dwelling_accounts_with_debt(dwelling_id=dwelling_id)
    return render(
        request,
        "portal/home.html",
        {
            "dwelling": _dwelling(dwelling_id),
            "accounts": accounts,
            "total": Money.total(a.debt for a in accounts if a.debt.is_positive()),
            "tab": "home",
        },
    )


@require_GET
@resident_required
def resident_payments(request: HttpRequest, dwelling_id: int) -> HttpResponse:
    """Resident (own dwelling): the household's payments through the network."""
    return render(
        request,
        "portal/payments.html",
        {
            "dwelling": _dwelling(dwelling_id),
            "payments": selectors.resident_payments(dwelling_id=dwelling_id),
            "tab": "payments",
        },
    )


@require_GET
@resident_required
def resident_looks(request: HttpRequest, dwelling_id: int) -> HttpResponse:
    """Resident (own dwelling): who looked at the household's data (organisation, kind, date; no names)."""
    return render(
        request,
        "portal/looks.html",
        {
            "dwelling": _dwelling(dwelling_id),
            "looks": selectors.dwelling_looks(dwelling_id=dwelling_id),
            "tab": "looks",
        },
    )


@require_POST
@resident_required
def resident_certificate(request: HttpRequest, dwelling_id: int) -> HttpResponse:
    """Resident (own dwelling): the payment-status certificate (PDF), issued in the housing office's name."""
    from merezha.housing.services import payment_status_issue

    dwelling = _dwelling(dwelling_id)
    cert = payment_status_issue(office=dwelling.office, dwelling_id=dwelling_id, user=None)
    url = certificate_verify_url(certificate=cert, request=request)
    pdf = render_pdf(
        template="housing/certificate_payments.html",
        context={"cert": cert, "p": cert.payload, "verify_url": url, "qr": qr_data_uri(url)},
        request=request,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{cert.kind}-{cert.number}.pdf"'
    return response


@require_GET
@resident_required
def resident_bill(request: HttpRequest, dwelling_id: int) -> HttpResponse:
    """Resident (own dwelling): the unified bill (PDF, A5)."""
    pdf = services.bill_pdf(dwelling_ids=[dwelling_id], layout="a5")
    return _pdf(pdf, f"bill-{selectors.dwelling_code(dwelling_id)}.pdf")


def _pdf(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- the housing office ----------------------------------------------------------------------------


def _own_dwelling(request: HttpRequest, dwelling_id: int) -> Any:
    office = request.user.organisation  # type: ignore[union-attr]
    if not Dwelling.objects.filter(pk=dwelling_id, office=office).exists():
        raise Http404
    return office


@require_GET
@role_required(Role.HOUSING)
def housing_bill(request: HttpRequest, dwelling_id: int) -> HttpResponse:
    """HOUSING (own office's dwelling): the unified bill as PDF (`?layout=a5|a4x2`)."""
    _own_dwelling(request, dwelling_id)
    layout = request.GET.get("layout") or None
    if layout not in (None, "a5", "a4x2"):
        return HttpResponse(_("Unknown layout."), status=400)
    pdf = services.bill_pdf(dwelling_ids=[dwelling_id], layout=layout)
    return _pdf(pdf, f"bill-{selectors.dwelling_code(dwelling_id)}.pdf")


@require_POST
@role_required(Role.HOUSING)
def housing_code_rotate(request: MemberRequest, dwelling_id: int) -> HttpResponse:
    """HOUSING (own office's dwelling): rotate the resident's access code; shows the new code once."""
    office = _own_dwelling(request, dwelling_id)
    code = services.access_code_rotate(office=office, dwelling_id=dwelling_id, user=request.user)
    messages.success(
        request,
        _("New access code for the resident: %(code)s. The old code no longer works.")
        % {"code": selectors.access_code_display(code)},
    )
    return redirect("housing-dwelling", dwelling_id=dwelling_id)


# --- batches -------------------------------------------------------------------------------------


def _batches_for(user: Any) -> Any:
    qs = BillBatch.objects.select_related("office")
    if user.role == Role.HOUSING:
        qs = qs.filter(office=user.organisation)
    return qs


@require_http_methods(["GET", "POST"])
@role_required(Role.HOUSING, Role.ADMIN)
def batches(request: MemberRequest) -> HttpResponse:
    """HOUSING (own office) and ADMIN (any office, or the whole city): start a batch of bills; list batches."""
    user = request.user
    if request.method == "POST":
        layout = request.POST.get("layout") or None
        if layout not in (None, "a5", "a4x2"):
            return HttpResponse(_("Unknown layout."), status=400)
        office: Organisation | None
        if user.role == Role.HOUSING:
            office = user.organisation
        else:
            code = request.POST.get("office", "").strip()
            office = Organisation.objects.filter(code=code, kind="housing_office").first() if code else None
            if code and office is None:
                return HttpResponse(_("Unknown housing office."), status=400)
        services.bill_batch_start(office=office, user=user, layout=layout)
        messages.success(request, _("The bills are being made."))
        return redirect("portal-batches")
    offices = (
        Organisation.objects.filter(kind="housing_office").order_by("name") if user.role == Role.ADMIN else []
    )
    return render(request, "portal/batches.html", {"batches": _batches_for(user)[:50], "offices": offices})


@require_GET
@role_required(Role.HOUSING, Role.ADMIN)
def batch_status(request: MemberRequest, batch_id: int) -> HttpResponse:
    """HOUSING (own office's batches) and ADMIN: a batch's progress as JSON."""
    batch = _batches_for(request.user).filter(pk=batch_id).first()
    if batch is None:
        raise Http404
    return JsonResponse(
        {
            "id": batch.pk,
            "status": batch.status,
            "total": batch.total,
            "done": batch.done,
            "offices": sorted(batch.files),
            "error": batch.error,
        }
    )


@require_GET
@role_required(Role.HOUSING, Role.ADMIN)
def batch_download(request: MemberRequest, batch_id: int, office_code: str) -> HttpResponse:
    """HOUSING (own office's batches) and ADMIN: one office's bills of a finished batch, one PDF."""
    batch = _batches_for(request.user).filter(pk=batch_id, status=BillBatch.Status.DONE).first()
    if batch is None or office_code not in batch.files:
        raise Http404
    own = request.user.organisation
    if request.user.role == Role.HOUSING and (own is None or office_code != own.code):
        raise Http404
    path = Path(settings.HOME) / batch.files[office_code]["path"]
    if not path.is_file():
        raise Http404
    # streamed, not read into memory (a city batch's office file is tens of megabytes); the
    # decorator's type wants an HttpResponse, which a streaming response is not a subclass of
    return cast(
        HttpResponse,
        FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=f"bills-{batch.pk}-{office_code}.pdf",
            content_type="application/pdf",
        ),
    )
