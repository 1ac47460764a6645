"""Pages of the housing office: the register kept by hand, certificates, reports, change reports.

Unless a docstring says otherwise a view is for the HOUSING role and shows only the user's own
office: a dwelling or person of another office answers 404, any other role 403.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from django.views.decorators.http import require_POST

from merezha.core.certificates import certificate_verify_url, qr_data_uri, render_pdf
from merezha.core.formatting import count, period_ua
from merezha.core.identifiers import parse_period
from merezha.core.money import Money, MoneyError
from merezha.core.reasons import message_localise, reason_localise
from merezha.core.roles import Role
from merezha.housing import charts, forms, reports, selectors, services
from merezha.housing.exports import xlsx_response
from merezha.organisations.permissions import MemberRequest, role_required
from merezha.registry.models import Building, Street

# --- helpers -------------------------------------------------------------------------------------


class BadFilter(ValueError):
    pass


def _office(request: HttpRequest) -> Any:
    return request.user.organisation  # type: ignore[union-attr]


#: the filters of the reports, as their forms label them (a refusal names the field so)
FILTER_LABELS = {
    "street": N_("Street"),
    "building": N_("Building"),
    "min_debt": N_("Minimum debt"),
    "min_months": N_("Minimum months"),
    "from": N_("From"),
    "to": N_("To"),
}


def _bad_filter(name: str, reason: str) -> BadFilter:
    label = _(FILTER_LABELS[name]) if name in FILTER_LABELS else name
    return BadFilter(f"{label}: {reason_localise(reason)}")


def _int(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise _bad_filter(name, _("not a number: %(value)s") % {"value": raw})
    return int(raw)


def _money(request: HttpRequest, name: str) -> Money | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        return Money.parse(raw)
    except MoneyError as exc:
        raise _bad_filter(name, str(exc)) from None


def _period(request: HttpRequest, name: str, default: dt.date) -> dt.date:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    try:
        return parse_period(raw)
    except ValueError as exc:
        raise _bad_filter(name, str(exc)) from None


def _wants_xlsx(request: HttpRequest) -> bool:
    return request.GET.get("format") == "xlsx"


def _filtered(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn a bad filter value into a 400 page with the reason, never a 500."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except BadFilter as exc:
            return render(request, "housing/bad_filter.html", {"reason": str(exc)}, status=400)

    wrapped.__doc__ = view.__doc__
    wrapped.__name__ = view.__name__
    return wrapped


def _streets(office: Any) -> Any:
    return Street.objects.filter(buildings__dwellings__office=office).distinct().order_by("name")


# --- register kept by hand -------------------------------------------------------------------------


@role_required(Role.HOUSING)
def home(request: HttpRequest) -> HttpResponse:
    """HOUSING: find a dwelling of the own office by address, dwelling id or resident's surname."""
    q = request.GET.get("q", "")
    office = _office(request)
    found = selectors.dwelling_search(office=office, q=q) if q else []
    return render(
        request,
        "housing/home.html",
        {
            "q": q,
            "found": found,
            "searched": bool(q.strip()),
            "dwellings": selectors.office_dwellings(office=office).count(),
        },
    )


class Failed:
    """A form of the dwelling page that was refused: which one, what was typed, the reasons by field."""

    def __init__(
        self, action: str, posted: Any, errors: dict[str, list[str]], person_id: int | None = None
    ) -> None:
        self.action = action
        self.posted = posted
        self.errors = errors
        self.person_id = person_id

    def messages(self) -> list[str]:
        return [m for ms in self.errors.values() for m in ms]


def _dwelling_page(
    request: HttpRequest,
    dwelling_id: int,
    *,
    failed: Failed | None = None,
    register_form: Any = None,
    status: int = 200,
) -> HttpResponse:
    from merezha.payments.selectors import dwelling_accounts_with_debt

    office = _office(request)
    dwelling = selectors.dwelling_for_office(office=office, dwelling_id=dwelling_id)
    if dwelling is None:
        raise Http404
    accounts = dwelling_accounts_with_debt(dwelling_id=dwelling.pk)
    residents = list(selectors.dwelling_residents(dwelling_id=dwelling.pk))
    for person in residents:  # the refused form of a resident opens again as it was typed
        person.failed = failed if failed is not None and failed.person_id == person.pk else None  # type: ignore[attr-defined]
    return render(
        request,
        "housing/dwelling.html",
        {
            "dwelling": dwelling,
            "residents": residents,
            "former": selectors.dwelling_residents(dwelling_id=dwelling.pk, active_only=False).filter(
                is_active=False
            ),
            "accounts": accounts,
            "total_debt": Money.total(a.debt for a in accounts if a.debt.is_positive()),
            "absences": selectors.dwelling_absences(dwelling_id=dwelling.pk),
            "history": selectors.dwelling_history(dwelling_id=dwelling.pk)[:300],
            "register_form": register_form or forms.RegisterForm(),
            "relations": forms.RelationForm.base_fields["relation"].choices,  # type: ignore[attr-defined]
            "benefits": reports.benefit_categories(),
            "today": timezone.localdate(),
            "failed": failed,
        },
        status=status,
    )


@role_required(Role.HOUSING)
def dwelling(request: HttpRequest, dwelling_id: int) -> HttpResponse:
    """HOUSING: a dwelling of the own office: residents, accounts with debts, absences, history, edits."""
    return _dwelling_page(request, dwelling_id)


def _edit(
    request: HttpRequest,
    *,
    dwelling_id: int,
    form_class: type,
    action: Callable[[dict[str, Any]], Any],
    done: str,
    name: str,
    person_id: int | None = None,
) -> HttpResponse:
    """Run a form of the dwelling page; a refusal shows the page again with what was typed and every
    reason beside its field, in the reader's language."""
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except services.NotYourObject:
            raise Http404 from None
        except services.RegisterEditError as exc:
            errors = exc.localised()
        else:
            messages.success(request, done)
            return redirect("housing-dwelling", dwelling_id=dwelling_id)
    else:
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
    return _dwelling_page(
        request,
        dwelling_id,
        failed=Failed(name, request.POST, errors, person_id),
        status=400,
    )


def _person_dwelling(request: HttpRequest, person_id: int) -> int:
    person = selectors.person_for_office(office=_office(request), person_id=person_id)
    if person is None:
        raise Http404
    return person.dwelling_id


@require_POST
@role_required(Role.HOUSING)
def person_register(request: MemberRequest, dwelling_id: int) -> HttpResponse:
    """HOUSING: register a person (or a birth) in a dwelling of the own office. A refusal shows the
    form again as typed, with every reason beside its field."""
    office = _office(request)
    if selectors.dwelling_for_office(office=office, dwelling_id=dwelling_id) is None:
        raise Http404
    form = forms.RegisterForm(request.POST)
    valid = form.is_valid()
    d = form.cleaned_data
    if valid:
        try:
            services.person_register(
                office=office,
                dwelling_id=dwelling_id,
                user=request.user,
                surname=d["surname"],
                name=d["name"],
                patronymic=d["patronymic"],
                birth_date=d["birth_date"],
                tax_id=d["tax_id"],
                relation=d["relation"],
                benefit_code=d["benefit"],
                registered_from=d["registered_from"],
                born=d["born"],
            )
        except services.NotYourObject:
            raise Http404 from None
        except services.RegisterEditError as exc:
            for field, reasons in exc.localised().items():
                for reason in reasons:
                    form.add_error(field if field in form.fields else None, reason)
        else:
            messages.success(request, _("Registered."))
            return redirect("housing-dwelling", dwelling_id=dwelling_id)
    else:
        # the fields the form read are checked by the service too, so that every reason shows at once
        for field, template, values in services.person_register_errors(
            surname=d.get("surname"),
            birth_date=d.get("birth_date"),
            tax_id=d.get("tax_id", ""),
            relation=d.get("relation", ""),
            benefit_code=d.get("benefit", ""),
            registered_from=d.get("registered_from"),
            born=d.get("born", False),
            skip=frozenset(form.errors),
        ):
            form.add_error(field if field in form.fields else None, message_localise(template, values))
    return _dwelling_page(request, dwelling_id, register_form=form, status=400)


@require_POST
@role_required(Role.HOUSING)
def person_deregister(request: MemberRequest, person_id: int) -> HttpResponse:
    """HOUSING: end the registration of a person of the own office (moved out or died)."""
    did = _person_dwelling(request, person_id)
    return _edit(
        request,
        dwelling_id=did,
        form_class=forms.DeregisterForm,
        name="deregister",
        person_id=person_id,
        action=lambda d: services.person_deregister(
            office=_office(request),
            person_id=person_id,
            user=request.user,
            date=d["date"],
            reason=d["reason"],
        ),
        done=_("Deregistered."),
    )


@require_POST
@role_required(Role.HOUSING)
def person_relation(request: MemberRequest, person_id: int) -> HttpResponse:
    """HOUSING: change a person's relation to the head of household (own office)."""
    did = _person_dwelling(request, person_id)
    return _edit(
        request,
        dwelling_id=did,
        form_class=forms.RelationForm,
        name="relation",
        person_id=person_id,
        action=lambda d: services.person_relation_change(
            office=_office(request),
            person_id=person_id,
            user=request.user,
            relation=d["relation"],
            date=d["date"],
        ),
        done=_("Relation changed."),
    )


@require_POST
@role_required(Role.HOUSING)
def person_benefit(request: MemberRequest, person_id: int) -> HttpResponse:
    """HOUSING: grant, change or end a person's benefit category (own office)."""
    did = _person_dwelling(request, person_id)
    return _edit(
        request,
        dwelling_id=did,
        form_class=forms.BenefitForm,
        name="benefit",
        person_id=person_id,
        action=lambda d: services.person_benefit_change(
            office=_office(request),
            person_id=person_id,
            user=request.user,
            benefit_code=d["benefit"],
            date=d["date"],
        ),
        done=_("Benefit changed."),
    )


@require_POST
@role_required(Role.HOUSING)
def person_absence(request: MemberRequest, person_id: int) -> HttpResponse:
    """HOUSING: record a temporary absence of a person (own office)."""
    did = _person_dwelling(request, person_id)
    return _edit(
        request,
        dwelling_id=did,
        form_class=forms.AbsenceForm,
        name="absence",
        person_id=person_id,
        action=lambda d: services.absence_record(
            office=_office(request),
            person_id=person_id,
            user=request.user,
            date_from=d["date_from"],
            date_to=d["date_to"],
            reason=d["reason"],
        ),
        done=_("Absence recorded."),
    )


@require_POST
@role_required(Role.HOUSING)
def dwelling_area(request: MemberRequest, dwelling_id: int) -> HttpResponse:
    """HOUSING: change the area of a dwelling of the own office."""
    if selectors.dwelling_for_office(office=_office(request), dwelling_id=dwelling_id) is None:
        raise Http404

    def act(d: dict[str, Any]) -> Any:
        area = services.parse_area(d["area"])
        if services.area_implausible(area) and not d["confirm"]:
            # a plausibility warning: the same form again, with a box to tick to keep the figure
            raise services.RegisterEditError(
                "area",
                N_("{area} m² is an unusually large area: check it, tick the box and save again"),
                area=area,
            )
        return services.dwelling_area_change(
            office=_office(request), dwelling_id=dwelling_id, user=request.user, area=area, date=d["date"]
        )

    return _edit(
        request,
        dwelling_id=dwelling_id,
        form_class=forms.AreaForm,
        action=act,
        done=_("Area changed."),
        name="area",
    )


# --- certificates -------------------------------------------------------------------------------


def _certificate_pdf(request: HttpRequest, cert: Any, template: str) -> HttpResponse:
    url = certificate_verify_url(certificate=cert, request=request)
    pdf = render_pdf(
        template=template,
        context={"cert": cert, "p": cert.payload, "verify_url": url, "qr": qr_data_uri(url)},
        request=request,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{cert.kind}-{cert.number}.pdf"'
    return response


@require_POST
@role_required(Role.HOUSING)
def certificate_family(request: MemberRequest, dwelling_id: int) -> HttpResponse:
    """HOUSING: issue the family composition extract of a dwelling of the own office (PDF)."""
    try:
        cert = services.family_composition_issue(
            office=_office(request), dwelling_id=dwelling_id, user=request.user
        )
    except services.NotYourObject:
        raise Http404 from None
    return _certificate_pdf(request, cert, "housing/certificate_family.html")


@require_POST
@role_required(Role.HOUSING)
def certificate_payments(request: MemberRequest, dwelling_id: int) -> HttpResponse:
    """HOUSING: issue the payment status certificate of a dwelling of the own office (PDF)."""
    try:
        cert = services.payment_status_issue(
            office=_office(request), dwelling_id=dwelling_id, user=request.user
        )
    except services.NotYourObject:
        raise Http404 from None
    return _certificate_pdf(request, cert, "housing/certificate_payments.html")


# --- reports --------------------------------------------------------------------------------------


@role_required(Role.HOUSING)
@_filtered
def report_debt(request: HttpRequest) -> HttpResponse:
    """HOUSING: rent debt by building of the own office (filter: street), on screen or XLSX."""
    office = _office(request)
    street_id = _int(request, "street")
    rows = reports.rent_debt_by_building(office=office, street_id=street_id)
    if _wants_xlsx(request):
        return xlsx_response(
            filename=f"rent-debt-{office.code}.xlsx",
            sheet=N_("Debt"),
            header=[
                N_("Building"),
                N_("Dwellings"),
                N_("Rent accounts"),
                N_("Debtors"),
                N_("Debt"),
                N_("Overpaid"),
            ],
            rows=([b.address, b.dwellings, b.accounts, b.debtors, b.debt, b.overpaid] for b in rows),
        )
    totals = {
        "dwellings": sum(b.dwellings for b in rows),
        "accounts": sum(b.accounts for b in rows),
        "debtors": sum(b.debtors for b in rows),
        "debt": Money.total(b.debt for b in rows),
        "overpaid": Money.total(b.overpaid for b in rows),
    }
    return render(
        request,
        "housing/report_debt.html",
        {"rows": rows, "totals": totals, "streets": _streets(office), "street": street_id},
    )


DEBTOR_HEADER = [
    N_("Housing office"),
    N_("Dwelling id"),
    N_("Address"),
    N_("Account"),
    N_("Payer"),
    N_("Registered"),
    N_("Monthly charge"),
    N_("Debt"),
    N_("Months in debt"),
]


def _debtor_row(d: reports.Debtor) -> list[Any]:
    return [
        d.office_code,
        d.dwelling,
        d.address,
        d.account,
        d.payer,
        d.registered,
        d.charge,
        d.debt,
        d.months,
    ]


@role_required(Role.HOUSING)
@_filtered
def report_debtors(request: HttpRequest) -> HttpResponse:
    """HOUSING: rent debtors of the own office (filters: minimum debt, minimum months, street, building)."""
    office = _office(request)
    min_debt = _money(request, "min_debt") or Money(1)
    min_months = _int(request, "min_months") or 0
    street_id, building_id = _int(request, "street"), _int(request, "building")
    rows = reports.debtors_list(
        office=office, min_debt=min_debt, min_months=min_months, street_id=street_id, building_id=building_id
    )
    if _wants_xlsx(request):
        return xlsx_response(
            filename=f"debtors-{office.code}.xlsx",
            sheet=N_("Debtors"),
            header=DEBTOR_HEADER,
            rows=(_debtor_row(d) for d in rows),
        )
    buildings = Building.objects.filter(dwellings__office=office).distinct().select_related("street")
    if street_id:
        buildings = buildings.filter(street_id=street_id)
    return render(
        request,
        "housing/report_debtors.html",
        {
            "rows": rows,
            "total": Money.total(d.debt for d in rows),
            "streets": _streets(office),
            "buildings": buildings.order_by("street__name", "key")[:500],
            "f": request.GET,
            "street": street_id,
            "building": building_id,
        },
    )


@role_required(Role.HOUSING)
def report_beneficiaries(request: HttpRequest) -> HttpResponse:
    """HOUSING: registered beneficiaries of the own office by category (filter: category)."""
    office = _office(request)
    category = request.GET.get("category", "").strip()
    rows, counts = reports.beneficiaries(office=office, category=category)
    if _wants_xlsx(request):
        return xlsx_response(
            filename=f"beneficiaries-{office.code}.xlsx",
            sheet=N_("Beneficiaries"),
            header=[N_("Benefit code"), N_("Benefit"), N_("Person"), N_("Birth date"), N_("Address")],
            rows=([b.category, b.category_name, b.full_name, b.birth_date, b.address] for b in rows),
        )
    return render(
        request,
        "housing/report_beneficiaries.html",
        {"rows": rows, "counts": counts, "category": category},
    )


@role_required(Role.HOUSING)
@_filtered
def report_recalculation(request: HttpRequest) -> HttpResponse:
    """HOUSING: rent to recalculate for recorded temporary absences (own office), months from..to."""
    office = _office(request)
    this_month = timezone.localdate().replace(day=1)
    month_from = _period(request, "from", (this_month - dt.timedelta(days=1)).replace(day=1))
    month_to = _period(request, "to", month_from)
    if month_to < month_from:
        raise BadFilter(_("to: the last month is before the first"))
    rows = reports.rent_recalculation(office=office, month_from=month_from, month_to=month_to)
    if _wants_xlsx(request):
        return xlsx_response(
            filename=f"recalculation-{office.code}-{month_from:%Y-%m}-{month_to:%Y-%m}.xlsx",
            sheet=N_("Recalculation"),
            header=[
                N_("Period"),
                N_("Person"),
                N_("Address"),
                N_("Absent from"),
                N_("Absent to"),
                N_("Days absent"),
                N_("Days in month"),
                N_("Monthly charge"),
                N_("Registered"),
                N_("Amount"),
            ],
            rows=(
                [
                    f"{r.period:%Y-%m}",
                    r.full_name,
                    r.address,
                    r.date_from,
                    r.date_to,
                    r.days_absent,
                    r.days_in_month,
                    r.charge,
                    r.registered,
                    r.amount,
                ]
                for r in rows
            ),
        )
    return render(
        request,
        "housing/report_recalculation.html",
        {
            "rows": rows,
            "total": Money.total(r.amount for r in rows),
            "month_from": month_from,
            "month_to": month_to,
        },
    )


@role_required(Role.HOUSING)
def report_rent_anomalies(request: HttpRequest) -> HttpResponse:
    """HOUSING: dwellings of the own office where rent is not charged although people are registered,
    or charged although nobody is."""
    office = _office(request)
    not_charged, nobody = reports.rent_anomalies(office=office)
    if _wants_xlsx(request):
        rows = [
            [_("registered, no rent"), a.dwelling, a.address, a.registered, a.rent_accounts, a.charge]
            for a in not_charged
        ] + [
            [_("rent, nobody registered"), a.dwelling, a.address, a.registered, a.rent_accounts, a.charge]
            for a in nobody
        ]
        return xlsx_response(
            filename=f"rent-anomalies-{office.code}.xlsx",
            sheet=N_("Anomalies"),
            header=[
                N_("Kind"),
                N_("Dwelling id"),
                N_("Address"),
                N_("Registered"),
                N_("Rent accounts"),
                N_("Monthly charge"),
            ],
            rows=rows,
        )
    return render(request, "housing/report_anomalies.html", {"not_charged": not_charged, "nobody": nobody})


@role_required(Role.HOUSING)
def report_charts(request: HttpRequest) -> HttpResponse:
    """HOUSING: charts of the own office: rent debt by building (top 20) and by month."""
    office = _office(request)
    buildings = reports.top(reports.rent_debt_by_building(office=office), 20)
    by_month = reports.rent_debt_by_month(office=office, months=12)
    return render(
        request,
        "housing/report_charts.html",
        {
            "by_building": charts.hbar_chart(items=[(b.address, b.debt) for b in buildings]),
            "by_month": charts.vbar_chart(items=[(f"{m:%Y-%m}", v) for m, v in by_month]),
            "has_buildings": bool(buildings),
            "has_months": bool(by_month),
        },
    )


@role_required(Role.ADMIN, Role.MANAGER, Role.HOUSING)
@_filtered
def debtors_export(request: HttpRequest) -> HttpResponse:
    """ADMIN, MANAGER: the city-wide rent debtors list as XLSX (streamed); HOUSING: its own office's.
    Filters: minimum debt, minimum months."""
    user: Any = request.user
    office = user.organisation if user.role == Role.HOUSING else None
    min_debt = _money(request, "min_debt") or Money(1)
    min_months = _int(request, "min_months") or 0
    name = f"debtors-{office.code if office else 'city'}-{timezone.localdate():%Y-%m-%d}.xlsx"
    return xlsx_response(
        filename=name,
        sheet=N_("Debtors"),
        header=DEBTOR_HEADER,
        rows=(
            _debtor_row(d)
            for d in reports.debtors_iter(office=office, min_debt=min_debt, min_months=min_months)
        ),
    )


# --- change reports --------------------------------------------------------------------------------


@role_required(Role.HOUSING)
def change_reports(request: MemberRequest) -> HttpResponse:
    """HOUSING: the own office's change reports; POST `month=YYYY-MM` issues that month's (idempotent)."""
    office = _office(request)
    errors: list[str] = []
    confirm: dict[str, Any] | None = None
    typed = request.POST.get("month", "") if request.method == "POST" else ""
    if request.method == "POST":
        try:
            month = parse_period(typed)
        except ValueError as exc:
            errors.append(reason_localise(str(exc)))
        else:
            try:
                services.change_report_month_check(month=month)
            except services.RegisterEditError as exc:
                errors.extend(exc.messages())
        if not errors and request.POST.get("confirm") != "1":
            # delivered reports cannot be taken back: say what will be sent and ask once more
            confirm = {
                "month": f"{month:%Y-%m}",
                "providers": selectors.change_report_providers(office=office),
            }
        elif not errors:
            try:
                issued = services.change_report_issue(office=office, month=month, user=request.user)
            except services.RegisterEditError as exc:
                errors.extend(exc.messages())
            else:
                messages.success(
                    request,
                    _("%(n)s report(s) for %(month)s.")
                    % {"n": count(len(issued)), "month": period_ua(month)},
                )
                return redirect("housing-change-reports")
    return render(
        request,
        "housing/change_reports.html",
        {
            "reports": selectors.change_report_list(office=office)[:500],
            "errors": errors,
            "confirm": confirm,
            "typed": typed,
        },
        status=400 if errors else 200,
    )


def _report_download(report: Any, fmt: str) -> HttpResponse:
    if fmt not in selectors.CHANGE_REPORT_FORMATS:
        return HttpResponse(
            _("format: csv, xlsx or json"), status=400, content_type="text/plain; charset=utf-8"
        )
    content, ctype, name = selectors.change_report_file(report=report, fmt=fmt)
    response = HttpResponse(content, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@role_required(Role.HOUSING)
def change_report_office_download(request: HttpRequest, report_id: int) -> HttpResponse:
    """HOUSING: a change report the own office issued, as CSV, XLSX or JSON (another office's: 404)."""
    report = selectors.change_report_list(office=_office(request)).filter(pk=report_id).first()
    if report is None:
        raise Http404
    return _report_download(report, request.GET.get("format", "csv"))


@role_required(Role.PROVIDER)
def provider_change_reports(request: HttpRequest) -> HttpResponse:
    """PROVIDER: change reports addressed to the own provider, newest first."""
    return render(
        request,
        "housing/provider_change_reports.html",
        {"reports": selectors.change_report_list(provider=_office(request))[:500]},
    )


@role_required(Role.PROVIDER)
def change_report_download(request: HttpRequest, report_id: int) -> HttpResponse:
    """PROVIDER: a change report addressed to the own provider as CSV, XLSX or JSON (another provider's: 404)."""
    report = selectors.change_report_for_provider(provider=_office(request), report_id=report_id)
    if report is None:
        raise Http404
    return _report_download(report, request.GET.get("format", "csv"))
