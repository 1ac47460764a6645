"""The cashier's desk: search → dwelling card → payment → receipt, the shift and the day close.

Every view here is for the CASHIER role only (anyone else: 403, a visitor: the login page), and
acts for the cashier's own payment point: a payment of another point answers 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from merezha.core.formatting import count, date_ua
from merezha.core.money import Money, MoneyError
from merezha.core.roles import Role
from merezha.organisations.permissions import role_required
from merezha.payments.selectors import (
    account_payments_list,
    operational_day_for,
    payment_get,
    payment_list,
    shift_summary,
)
from merezha.payments.services import (
    IdempotencyConflict,
    PaymentError,
    PaymentLineIn,
    payment_cancel,
    payment_create,
)
from merezha.registers.services import point_day_close
from merezha.search.selectors import DwellingCard, dwelling_card_get, dwelling_search


def _point(request: HttpRequest) -> Any:
    return request.user.organisation  # type: ignore[union-attr]


@role_required(Role.CASHIER)
@require_GET
def desk_home(request: HttpRequest) -> HttpResponse:
    """Cashier (own point): the search box; with `?q=` the results are rendered in the page too."""
    query = request.GET.get("q", "")
    hits = dwelling_search(query=query, user=request.user) if query.strip() else []
    return render(request, "desk/desk.html", {"query": query, "hits": hits, "searched": bool(query.strip())})


@role_required(Role.CASHIER)
@require_GET
def desk_search(request: HttpRequest) -> HttpResponse:
    """Cashier (own point): the result list for `?q=` as an HTML fragment (the box updates as one types)."""
    query = request.GET.get("q", "")
    hits = dwelling_search(query=query, user=request.user) if query.strip() else []
    return render(
        request, "desk/_results.html", {"query": query, "hits": hits, "searched": bool(query.strip())}
    )


@dataclass
class _Row:
    """One account line of the payment form: the debt and what the cashier typed."""

    account: Any
    key: int
    checked: bool
    amount: Money | str  # the debt offered (a Money) or the text the cashier typed
    error: str = ""


def _rows(card: DwellingCard, posted: dict[str, Any] | None = None) -> list[_Row]:
    rows = []
    for i, acc in enumerate(card.accounts, start=1):
        if posted is None:
            checked = acc.debt.is_positive()
            # the debt offered; the template shows it as typed (`money_input`: `1200,50`)
            amount: Money | str = acc.debt if acc.debt.is_positive() else ""
        else:
            checked = str(acc.account_id) in posted["selected"]
            amount = posted["amounts"].get(str(acc.account_id), "")
        rows.append(_Row(account=acc, key=i, checked=checked, amount=amount))
    return rows


def _card_page(
    request: HttpRequest,
    card: DwellingCard,
    *,
    rows: list[_Row],
    key: str,
    method: str = "cash",
    tendered: str = "",
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "desk/card.html",
        {
            "card": card,
            "rows": rows,
            "idempotency_key": key,
            "method": method,
            "tendered": tendered,
            "errors": errors or [],
            # a payment for this dwelling taken here today: the card names its receipt, so that a
            # form reopened with the browser's Back is not mistaken for a debt still to pay
            "paid_today": account_payments_list(
                point_id=_point(request).pk,
                day=operational_day_for(point_id=_point(request).pk),
                account_ids=[a.account_id for a in card.accounts],
            ),
        },
        status=status,
    )


@role_required(Role.CASHIER)
@require_GET
def desk_dwelling(request: HttpRequest, dwelling_id: int) -> HttpResponse:
    """Cashier (any dwelling of the city, own point): the dwelling card with the payment form.

    Every look-up is written to the audit log. A new idempotency key is drawn for every render,
    so a double submit or a refresh of the posted form takes one payment.
    """
    card = dwelling_card_get(dwelling_id=dwelling_id, user=request.user)
    if card is None:
        raise Http404
    return _card_page(request, card, rows=_rows(card), key=uuid.uuid4().hex)


def _parse_payment(
    card: DwellingCard, post: Any
) -> tuple[list[PaymentLineIn], str, Money | None, list[str], dict[str, Any]]:
    selected = set(post.getlist("account"))
    amounts = {str(a.account_id): post.get(f"amount_{a.account_id}", "").strip() for a in card.accounts}
    posted = {"selected": selected, "amounts": amounts}
    errors: list[str] = []
    lines: list[PaymentLineIn] = []
    by_id = {str(a.account_id): a for a in card.accounts}
    for account_id in sorted(selected):
        acc = by_id.get(account_id)
        if acc is None:
            errors.append(_("An account that is not of this dwelling was chosen."))
            continue
        label = f"{acc.provider_name} · {acc.service_name} · {acc.number}"
        text = amounts.get(account_id, "")
        if not text:
            errors.append(_("%(label)s: type the amount to pay, or untick the service.") % {"label": label})
            continue
        try:
            amount = Money.parse(text)
        except MoneyError:
            errors.append(_("%(label)s: “%(text)s” is not an amount.") % {"label": label, "text": text})
            continue
        if not amount.is_positive():
            errors.append(_("%(label)s: the amount must be more than zero.") % {"label": label})
            continue
        lines.append(PaymentLineIn(account_id=acc.account_id, amount=amount))
    if not selected:
        errors.append(_("Choose at least one service to pay."))
    method = post.get("method", "cash")
    if method not in ("cash", "card"):
        errors.append(_("Choose cash or card."))
    tendered: Money | None = None
    tendered_text = post.get("tendered", "").strip()
    if method == "cash" and tendered_text:
        try:
            tendered = Money.parse(tendered_text)
        except MoneyError:
            errors.append(_("“%(text)s” is not an amount of cash tendered.") % {"text": tendered_text})
    total = Money.total(line.amount for line in lines)
    if tendered is not None and not errors and tendered < total:
        # the payment service refuses it too, in the API's words and form (`100.00`)
        errors.append(
            _("Cash tendered %(tendered)s is less than the total %(total)s.")
            % {"tendered": tendered.display(), "total": total.display()}
        )
    return lines, method, tendered, errors, posted


@role_required(Role.CASHIER)
@require_POST
def desk_pay(request: HttpRequest, dwelling_id: int) -> HttpResponse:
    """Cashier (own point): take a payment for the chosen accounts of this dwelling, once per form key."""
    card = dwelling_card_get(dwelling_id=dwelling_id, user=request.user)
    if card is None:
        raise Http404
    key = request.POST.get("idempotency_key", "")
    lines, method, tendered, errors, posted = _parse_payment(card, request.POST)
    if not errors:
        try:
            result = payment_create(
                cashier=request.user,
                point=_point(request),
                lines=lines,
                method=method,
                tendered=tendered,
                idempotency_key=key,
            )
        except IdempotencyConflict:
            errors.append(_("This form was already used for another payment. Open the card again."))
        except PaymentError as exc:
            errors.append(str(exc))
        else:
            return redirect("desk-receipt", payment_id=result.payment.pk)
    return _card_page(
        request,
        card,
        rows=_rows(card, posted),
        key=key or uuid.uuid4().hex,
        method=method,
        tendered=request.POST.get("tendered", ""),
        errors=errors,
        status=400,
    )


def _payment_or_404(request: HttpRequest, payment_id: uuid.UUID) -> Any:
    payment = payment_get(payment_id=payment_id, point_id=_point(request).pk)
    if payment is None:
        raise Http404
    return payment


def _receipt_context(request: HttpRequest, payment: Any) -> dict[str, Any]:
    try:
        cancellation = payment.cancellation
    except ObjectDoesNotExist:
        cancellation = None
    lines = list(payment.lines.all())
    return {
        "payment": payment,
        "point": payment.point,
        "lines": lines,
        # the register's address of the dwelling paid for (not each provider's spelling of it)
        "addresses": sorted({str(line.account.dwelling) for line in lines if line.account.dwelling_id}),
        "cancellation": cancellation,
        # the form is offered only where the service would take it: a payment of the point's
        # current operational day (a closed day is never current), not cancelled yet
        "can_cancel": cancellation is None
        and operational_day_for(point_id=payment.point_id) == payment.operational_day,
        "accepted_at": timezone.localtime(payment.accepted_at),
    }


@role_required(Role.CASHIER)
@require_GET
def desk_receipt(request: HttpRequest, payment_id: uuid.UUID) -> HttpResponse:
    """Cashier (own point's payments only; others 404): the receipt, printable, with the cancel form
    while the payment's operational day is the point's current, open one."""
    payment = _payment_or_404(request, payment_id)
    return render(request, "desk/receipt.html", _receipt_context(request, payment))


@role_required(Role.CASHIER)
@require_GET
def desk_receipt_pdf(request: HttpRequest, payment_id: uuid.UUID) -> HttpResponse:
    """Cashier (own point's payments only; others 404): the receipt as PDF (WeasyPrint)."""
    payment = _payment_or_404(request, payment_id)
    context = _receipt_context(request, payment)
    return _pdf(request, "desk/receipt_pdf.html", context, f"receipt-{payment.receipt}.pdf")


def _pdf(request: HttpRequest, template: str, context: dict[str, Any], file_name: str) -> HttpResponse:
    """A printed document of the desk (receipt, end-of-shift report) as PDF (WeasyPrint)."""
    from weasyprint import HTML

    html = render_to_string(template, context, request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{file_name}"'
    return response


@role_required(Role.CASHIER)
@require_POST
def desk_cancel(request: HttpRequest, payment_id: uuid.UUID) -> HttpResponse:
    """Cashier (own point's payments only; others 404): cancel a payment of today's open day, with a reason."""
    payment = _payment_or_404(request, payment_id)
    try:
        payment_cancel(payment_id=payment.pk, cashier=request.user, reason=request.POST.get("reason", ""))
    except PaymentError as exc:
        context = _receipt_context(request, payment)
        context["cancel_error"] = str(exc)
        return render(request, "desk/receipt.html", context, status=400)
    messages.success(request, _("Payment %(receipt)s is cancelled.") % {"receipt": payment.receipt})
    return redirect("desk-receipt", payment_id=payment.pk)


def _day(request: HttpRequest) -> dt.date:
    text = request.GET.get("day", "") or request.POST.get("day", "")
    try:
        return dt.date.fromisoformat(text) if text else timezone.localdate()
    except ValueError:
        return timezone.localdate()


@role_required(Role.CASHIER)
@require_GET
def desk_shift(request: HttpRequest) -> HttpResponse:
    """Cashier (own point): the day's payments at the point, the summary by provider, the day close."""
    return render(request, "desk/shift.html", _shift_context(request))


@role_required(Role.CASHIER)
@require_GET
def desk_shift_pdf(request: HttpRequest) -> HttpResponse:
    """Cashier (own point): the end-of-shift report of a day as PDF, to print and sign."""
    context = _shift_context(request)
    context["printed_at"] = timezone.localtime()
    return _pdf(
        request, "desk/shift_pdf.html", context, f"shift-{context['point'].code}-{context['day']}.pdf"
    )


def _shift_context(request: HttpRequest) -> dict[str, Any]:
    point = _point(request)
    day = _day(request)
    return {
        "day": day,
        "point": point,
        "summary": shift_summary(point_id=point.pk, day=day),
        "mine": shift_summary(point_id=point.pk, day=day, cashier_id=request.user.pk),
        "payments": payment_list(point_id=point.pk, day=day),
    }


@role_required(Role.CASHIER)
@require_POST
def desk_close_day(request: HttpRequest) -> HttpResponse:
    """Cashier (own point only): close the point's operational day and issue that day's registers."""
    day = _day(request)
    try:
        result = point_day_close(point=_point(request), user=request.user, day=day)
    except PaymentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("The day %(day)s is closed; %(n)s registers issued.")
            % {"day": date_ua(day), "n": count(len(result.registers))},
        )
    return redirect(reverse("desk-shift") + f"?day={day.isoformat()}")
