"""Pages of the subsidy office. Who may call each view is stated in its docstring.

SUBSIDY: a subsidy officer, acting for its own office (batch checks, decisions and certificates of
other offices answer 404). ADMIN (information centre) may read every office's records and edits the
rule's parameters. Everyone else: 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merezha.core.imports import ImportRejected
from merezha.core.roles import Role
from merezha.formats import FormatError
from merezha.formats.writers import CONTENT_TYPES
from merezha.organisations.permissions import MemberRequest, role_required
from merezha.organisations.selectors import service_names
from merezha.subsidies.documents import batch_check_file, debt_certificate_pdf
from merezha.subsidies.forms import (
    BatchUploadForm,
    CheckForm,
    DecisionForm,
    DecisionUploadForm,
    ExemptionForm,
    RuleParametersForm,
    SearchForm,
)
from merezha.subsidies.selectors import (
    NoRuleInForce,
    batch_check_get,
    batch_check_lines,
    batch_check_list,
    debt_certificate_get,
    decision_get,
    decision_list,
    decision_part_get,
    dwelling_labels,
    exemption_list,
    household_accounts,
    household_status,
    households_find,
    rule_parameters_list,
)
from merezha.subsidies.services import (
    InvalidInput,
    batch_check_run,
    debt_certificate_issue,
    decision_submit,
    decisions_import,
    exemption_create,
    rule_parameters_create,
)
from merezha.uploads import upload_form_refusal, upload_kind

READ = (Role.SUBSIDY, Role.ADMIN)


def _office_scope(request: HttpRequest) -> int | None:
    """The office whose records the user sees: its own; None (all) for the information centre."""
    user: Any = request.user
    return None if user.role == Role.ADMIN else user.organisation_id


@role_required(Role.SUBSIDY)
def home(request: MemberRequest) -> HttpResponse:
    """SUBSIDY only (the role's home page): find a household by tax id or address; one match opens
    its debt status. The information centre reads households, checks and decisions by their pages."""
    form = SearchForm(request.GET or None)
    found = None
    candidates: dict[int, str] = {}
    if form.is_bound and form.is_valid() and (form.cleaned_data["tax_id"] or form.cleaned_data["address"]):
        found = households_find(
            tax_id=form.cleaned_data["tax_id"], address=form.cleaned_data["address"], user=request.user
        )
        query = {"date": form.on().isoformat(), "family_type": form.family()}
        if found.one is not None:
            return redirect(reverse("subsidy-household", args=[found.one]) + "?" + urlencode(query))
        candidates = dwelling_labels(dwelling_ids=found.dwelling_ids)
        candidates_q = urlencode(query)
    else:
        candidates_q = ""
    return render(
        request,
        "subsidies/home.html",
        {
            "form": form,
            "found": found,
            "candidates": candidates,
            "candidates_q": candidates_q,
        },
    )


@role_required(*READ)
def household(request: MemberRequest, dwelling_id: int) -> HttpResponse:
    """SUBSIDY, ADMIN: a household's accounts at every provider, its debt, the verdict; audit-logged."""
    form = CheckForm(request.GET or None)
    on = form.on() if form.is_valid() else timezone.localdate()
    family = form.family() if form.is_valid() else "regular"
    try:
        status = household_status(dwelling_id=dwelling_id, on=on, family_type=family, user=request.user)
    except NoRuleInForce as exc:
        messages.error(request, str(exc))
        return redirect("subsidy-home")
    if status is None:
        raise Http404
    accounts = [
        (a.pk, f"{a.provider.name} · {a.service.name or a.service.code} · {a.number}")
        for a in household_accounts(dwelling_id=dwelling_id)
    ]
    return render(
        request,
        "subsidies/household.html",
        {
            "status": status,
            "verdict": status.verdict,
            "form": form,
            "on": on,
            "family": family,
            "exemptions": exemption_list(dwelling_id=dwelling_id),
            "exemption_form": ExemptionForm(accounts=accounts, initial={"valid_from": on}),
            "can_write": request.user.role == Role.SUBSIDY,  # type: ignore[union-attr]
        },
    )


@require_POST
@role_required(Role.SUBSIDY)
def certificate_issue_view(request: MemberRequest, dwelling_id: int) -> HttpResponse:
    """SUBSIDY only: issue a numbered certificate of the household's payment status, then show its PDF."""
    form = CheckForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("subsidy-household", dwelling_id=dwelling_id)
    try:
        status = household_status(
            dwelling_id=dwelling_id, on=form.on(), family_type=form.family(), user=request.user
        )
    except NoRuleInForce as exc:
        messages.error(request, str(exc))
        return redirect("subsidy-home")
    if status is None:
        raise Http404
    cert = debt_certificate_issue(user=request.user, status=status)
    return redirect("subsidy-certificate-pdf", number=cert.number)


@role_required(*READ)
def certificate_pdf(request: MemberRequest, number: str) -> HttpResponse:
    """SUBSIDY: a certificate its own office issued (others: 404); ADMIN: any."""
    user: Any = request.user
    cert = debt_certificate_get(
        number=number, issuer_code=None if user.role == Role.ADMIN else user.organisation.code, user=user
    )
    if cert is None:
        raise Http404
    response = HttpResponse(
        debt_certificate_pdf(certificate=cert, request=request), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="certificate-{cert.number}.pdf"'
    return response


@require_POST
@role_required(Role.SUBSIDY)
def exemption_add(request: HttpRequest, dwelling_id: int) -> HttpResponse:
    """SUBSIDY only: record a restructuring agreement or a court case for an account of the household."""
    accounts = [(a.pk, a.number) for a in household_accounts(dwelling_id=dwelling_id)]
    form = ExemptionForm(request.POST, accounts=accounts)
    if form.is_valid():
        data = form.cleaned_data
        try:
            exemption_create(
                user=request.user,
                account_id=data["account"],
                kind=data["kind"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
                note=data["note"],
            )
            messages.success(request, _("Exemption recorded."))
        except InvalidInput as exc:
            messages.error(request, str(exc))
    else:
        # each reason under the field's label, as the person saw the form (not the field's code)
        messages.error(
            request,
            "; ".join(
                f"{form.fields[k].label if k in form.fields else ''}: {' '.join(str(m) for m in v)}".lstrip(
                    ": "
                )
                for k, v in form.errors.items()
            ),
        )
    return redirect("subsidy-household", dwelling_id=dwelling_id)


@upload_kind("batch_check")
@role_required(*READ)
def batch_checks(request: HttpRequest) -> HttpResponse:
    """SUBSIDY: its office's batch checks, and upload a new list (POST); ADMIN: read every office's."""
    user: Any = request.user
    form = BatchUploadForm()
    if request.method == "POST":
        if user.role != Role.SUBSIDY:
            return HttpResponse(status=403)
        form = BatchUploadForm(request.POST, request.FILES)
        if not upload_form_refusal(request, form) and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                check = batch_check_run(
                    user=user,
                    source=upload,
                    file_name=upload.name,
                    application_date=form.on(),
                    family_type=form.family(),
                )
                return redirect("subsidy-batch-check", check_id=check.pk)
            except (FormatError, NoRuleInForce) as exc:
                messages.error(request, f"{upload.name}: {exc}")
    checks = batch_check_list(office_id=_office_scope(request))[:100]
    return render(request, "subsidies/batch_checks.html", {"form": form, "checks": checks})


@role_required(*READ)
def batch_check(request: HttpRequest, check_id: int) -> HttpResponse:
    """SUBSIDY: one batch check of its own office (others: 404); ADMIN: any."""
    check = batch_check_get(check_id=check_id, office_id=_office_scope(request))
    if check is None:
        raise Http404
    unmatched = [r for r in check.rows if r["match"] != "matched"]
    return render(
        request,
        "subsidies/batch_check.html",
        {"check": check, "unmatched": unmatched, "lines": batch_check_lines(check=check, limit=200)},
    )


@role_required(*READ)
def batch_check_download(request: HttpRequest, check_id: int, file_format: str) -> HttpResponse:
    """SUBSIDY: the answer file (csv or xlsx) of its own office's batch check (others: 404); ADMIN: any."""
    check = batch_check_get(check_id=check_id, office_id=_office_scope(request))
    if check is None or file_format not in ("csv", "xlsx"):
        raise Http404
    response = HttpResponse(
        batch_check_file(check=check, file_format=file_format), content_type=CONTENT_TYPES[file_format]
    )
    response["Content-Disposition"] = f'attachment; filename="batch-check-{check.pk}.{file_format}"'
    return response


@role_required(*READ)
def decisions(request: HttpRequest) -> HttpResponse:
    """SUBSIDY: its office's decisions with each provider's delivery status; ADMIN: every office's."""
    rows = decision_list(office_id=_office_scope(request))[:200]
    return render(
        request,
        "subsidies/decisions.html",
        {"decisions": rows, "upload_form": DecisionUploadForm()},
    )


@role_required(*READ)
def decision_detail(request: HttpRequest, decision_id: int) -> HttpResponse:
    """SUBSIDY: one decision of its own office (others: 404) and its deliveries; ADMIN: any."""
    decision = decision_get(decision_id=decision_id, office_id=_office_scope(request))
    if decision is None:
        raise Http404
    return render(request, "subsidies/decision.html", {"decision": decision, "services": service_names()})


@role_required(Role.SUBSIDY)
def decision_new(request: HttpRequest) -> HttpResponse:
    """SUBSIDY only: enter one decision; on success it is routed to the providers at once."""
    form = DecisionForm(request.POST or None, service_names=service_names())
    errors: list[Any] = []
    if request.method == "POST" and form.is_valid():
        try:
            decision, _created = decision_submit(user=request.user, data=form.payload(), source="page")
            messages.success(request, _("Decision %(n)s recorded and routed.") % {"n": decision.number})
            return redirect("subsidy-decision", decision_id=decision.pk)
        except ImportRejected as exc:
            errors = sorted(exc.report.errors)
    # a refusal names the field as the form labels it (the service and amount lines: by the service)
    columns = {name: str(field.label) for name, field in form.fields.items()}
    columns["monthly_amount"] = str(_("Monthly amount"))
    columns["service"] = str(_("Service"))
    return render(
        request, "subsidies/decision_new.html", {"form": form, "errors": errors, "columns": columns}
    )


@upload_kind("decisions")
@require_POST
@role_required(Role.SUBSIDY)
def decision_upload(request: MemberRequest) -> HttpResponse:
    """SUBSIDY only: upload a decisions file; all of it is applied, or nothing (every error listed)."""
    form = DecisionUploadForm(request.POST, request.FILES)
    errors: list[Any] = []
    if not upload_form_refusal(request, form) and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            created, report = decisions_import(user=request.user, source=upload, file_name=upload.name)
            messages.success(request, _("%(n)d decision(s) recorded and routed.") % {"n": len(created)})
            return redirect("subsidy-decisions")
        except ImportRejected as exc:
            errors = sorted(exc.report.errors)
            messages.error(request, _("%(file)s: nothing was applied.") % {"file": upload.name})
    rows = decision_list(office_id=_office_scope(request))[:200]
    return render(
        request,
        "subsidies/decisions.html",
        {"decisions": rows, "upload_form": form, "errors": errors},
        status=400,
    )


@role_required(Role.ADMIN)
def rule_parameters(request: MemberRequest) -> HttpResponse:
    """ADMIN (information centre) only: the rule's dated parameter sets; add a new set (POST)."""
    form = RuleParametersForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rule_parameters_create(
                user=request.user,
                valid_from=data["valid_from"],
                months=data["months"],
                threshold=data["threshold"],
                threshold_large_family=data["threshold_large_family"],
                exemptions_enabled=data["exemptions_enabled"],
                note=data["note"],
            )
            messages.success(request, _("Parameters saved."))
            return redirect("subsidy-rule")
        except InvalidInput as exc:
            form.add_error(None, str(exc))
    return render(request, "subsidies/rule.html", {"form": form, "sets": rule_parameters_list()})


@role_required(Role.PROVIDER)
def decision_part(request: HttpRequest, decision_id: int) -> HttpResponse:
    """PROVIDER only: its own part of a decision delivered to it (others, and other providers: 404)."""
    user: Any = request.user
    delivery = decision_part_get(decision_id=decision_id, provider_id=user.organisation_id)
    if delivery is None:
        raise Http404
    return render(
        request,
        "subsidies/decision_part.html",
        {"delivery": delivery, "part": delivery.payload, "services": service_names()},
    )
