"""The desk's pages: who may see what, the card, paying exactly once, the receipt, cancel, day close."""

import datetime as dt
import re
import shutil
import subprocess
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from merezha.core.models import AuditEntry
from merezha.core.money import Money
from merezha.core.roles import OrgKind, Role
from merezha.payments.models import Cancellation, OperationalDay, Payment


@pytest.fixture
def point(make_org):
    return make_org(OrgKind.PAYMENT_POINT, code="PT-01")


@pytest.fixture
def cashier(make_user, point):
    return make_user(Role.CASHIER, organisation=point, username="olha")


@pytest.fixture
def desk(client, cashier):
    client.force_login(cashier)
    return client


def pay(desk, city, amounts, *, key=None, method="cash", tendered=""):
    dwelling = city.dwellings["0001"]
    data = {"idempotency_key": key or uuid.uuid4().hex, "method": method, "tendered": tendered, "account": []}
    for number, amount in amounts.items():
        account = city.accounts[number]
        data["account"].append(str(account.pk))
        data[f"amount_{account.pk}"] = amount
    return desk.post(reverse("desk-pay", args=[dwelling.pk]), data)


URLS = [
    ("desk-home", []),
    ("desk-search", []),
    ("desk-shift", []),
    ("desk-shift-pdf", []),
]


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.HOUSING, Role.SUBSIDY, Role.ADMIN, Role.MANAGER])
def test_other_roles_get_403(client, make_user, city, role):
    client.force_login(make_user(role))
    for name, args in URLS:
        assert client.get(reverse(name, args=args)).status_code == 403
    assert client.get(reverse("desk-dwelling", args=[city.dwellings["0001"].pk])).status_code == 403
    assert client.post(reverse("desk-close-day")).status_code == 403
    assert not AuditEntry.objects.filter(action="dwelling_lookup").exists()


def test_visitor_goes_to_login(client, city):
    response = client.get(reverse("desk-home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_cashier_cannot_see_provider_pages(desk):
    assert desk.get(reverse("provider-home")).status_code == 403


def test_cashier_lands_on_the_desk(desk):
    response = desk.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("desk-home")
    page = desk.get(reverse("desk-home")).content.decode()
    assert 'id="q"' in page and "autofocus" in page


def test_search_page_and_fragment(desk, city):
    page = desk.get(reverse("desk-home"), {"q": "Комсомольська 12 1"}).content.decode()
    assert reverse("desk-dwelling", args=[city.dwellings["0001"].pk]) in page
    fragment = desk.get(reverse("desk-search"), {"q": "Шевчнеко"}).content.decode()
    assert fragment.count('class="hit"') == 1
    assert "вул. Свободи, 12, кв. 3" in fragment
    assert "Шевченко Тарас Григорович" in fragment
    assert "Nothing found" in desk.get(reverse("desk-search"), {"q": "Ґрунтовий"}).content.decode()


def test_search_by_tax_id_never_shows_it(desk, city):
    fragment = desk.get(reverse("desk-search"), {"q": "1779483742"}).content.decode()
    assert "1779483742" not in fragment
    assert "******3742" in fragment


def test_card_shows_debts_staleness_masked_tax_ids_and_is_audited(desk, city, cashier):
    dwelling = city.dwellings["0001"]
    response = desk.get(reverse("desk-dwelling", args=[dwelling.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "1779483742" not in page
    assert "******3742" in page
    assert 'id="stale-warning"' in page  # the heat provider's data is 60 days old
    assert page.count('class="bad stale"') == 1
    for number, debt in (("W-0001", "450,00"), ("H-0001", "1\u202f200,50"), ("R-0001", "300,00")):
        assert number in page and debt in page
    # the amount fields start at the debt, written with the comma as the page writes amounts
    for account, typed in (("W-0001", "450,00"), ("H-0001", "1200,50"), ("R-0001", "300,00")):
        assert f'name="amount_{city.accounts[account].pk}" value="{typed}"' in page
    # services read as people call them; the exchange code is the tooltip
    assert '<td title="water">Водопостачання</td>' in page and '<td title="heat">Опалення</td>' in page
    entry = AuditEntry.objects.get(action="dwelling_lookup")
    assert (entry.user_id, entry.organisation_code, entry.object_type, entry.object_id) == (
        cashier.pk,
        "PT-01",
        "dwelling",
        str(dwelling.pk),
    )
    assert entry.detail == {"address": "вул. Свободи, 12, кв. 1", "accounts": 3, "residents": 2}


def test_card_of_unknown_dwelling_is_404(desk, city):
    assert desk.get(reverse("desk-dwelling", args=[999999])).status_code == 404
    assert not AuditEntry.objects.exists()


def test_pay_two_of_three_with_an_edited_amount(desk, city, cashier):
    response = pay(desk, city, {"W-0001": "450.00", "H-0001": "600,25"}, tendered="1100")
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert response["Location"] == reverse("desk-receipt", args=[payment.pk])
    assert payment.total == Money(105025)
    assert payment.change == Money(4975)
    assert sorted((line.account.number, line.amount) for line in payment.lines.all()) == [
        ("H-0001", Money(60025)),
        ("W-0001", Money(45000)),
    ]
    # the card now shows what is left
    page = desk.get(reverse("desk-dwelling", args=[city.dwellings["0001"].pk])).content.decode()
    assert "600,25" in page and "0,00" in page


def test_double_submit_takes_one_payment(desk, city):
    key = uuid.uuid4().hex
    first = pay(desk, city, {"W-0001": "100"}, key=key)
    second = pay(desk, city, {"W-0001": "100"}, key=key)
    assert first["Location"] == second["Location"]
    assert Payment.objects.count() == 1


def test_same_key_other_amounts_is_refused(desk, city):
    key = uuid.uuid4().hex
    pay(desk, city, {"W-0001": "100"}, key=key)
    response = pay(desk, city, {"W-0001": "200"}, key=key)
    assert response.status_code == 400
    assert "already used for another payment" in response.content.decode()
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [("0", "must be more than zero"), ("-5", "must be more than zero"), ("abc", "is not an amount")],
)
def test_zero_negative_or_garbage_amount_is_refused(desk, city, amount, message):
    response = pay(desk, city, {"W-0001": "100", "H-0001": amount})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Payment.objects.exists()


def test_nothing_chosen_is_refused(desk, city):
    response = pay(desk, city, {})
    assert response.status_code == 400
    assert "Choose at least one service" in response.content.decode()


def test_account_of_another_dwelling_is_refused(desk, city):
    dwelling = city.dwellings["0001"]
    other = city.accounts["1000123"]
    response = desk.post(
        reverse("desk-pay", args=[dwelling.pk]),
        {"idempotency_key": "k1", "method": "card", "account": [str(other.pk)], f"amount_{other.pk}": "5"},
    )
    assert response.status_code == 400
    assert not Payment.objects.exists()


def test_short_cash_is_refused(desk, city):
    response = pay(desk, city, {"W-0001": "1500,5"}, tendered="50")
    assert response.status_code == 400
    assert "Cash tendered 50,00 is less than the total 1\u202f500,50." in response.content.decode()
    assert not Payment.objects.exists()


def test_advance_payment_is_allowed(desk, city):
    response = pay(desk, city, {"W-0001": "1000"}, method="card")
    assert response.status_code == 302
    assert Payment.objects.get().total == Money(100000)


def test_receipt_print_and_pdf(desk, city, point):
    pay(desk, city, {"W-0001": "450", "R-0001": "150"}, tendered="600")
    payment = Payment.objects.get()
    page = desk.get(reverse("desk-receipt", args=[payment.pk])).content.decode()
    assert payment.receipt in page
    assert "600,00" in page and "@media print" in page
    assert "olha" in page and "PT-01" in page
    assert '<td><span title="water">Водопостачання</span><br><span class="muted small">' in page
    assert '<td><span title="rent">Квартплата</span><br>' in page
    assert '<th class="num" id="receipt-total">600,00\u00a0грн</th>' in page
    pdf = desk.get(reverse("desk-receipt-pdf", args=[payment.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_other_points_payments_are_404(desk, city, client, make_user, make_org):
    pay(desk, city, {"W-0001": "100"})
    payment = Payment.objects.get()
    other = make_user(Role.CASHIER, organisation=make_org(OrgKind.PAYMENT_POINT, code="PT-02"))
    client.force_login(other)
    assert client.get(reverse("desk-receipt", args=[payment.pk])).status_code == 404
    assert client.get(reverse("desk-receipt-pdf", args=[payment.pk])).status_code == 404
    assert client.post(reverse("desk-cancel", args=[payment.pk]), {"reason": "x"}).status_code == 404
    assert payment.receipt not in client.get(reverse("desk-shift")).content.decode()
    assert client.get(reverse("desk-receipt", args=[uuid.uuid4()])).status_code == 404
    assert not Cancellation.objects.exists()


def test_cancel_needs_a_reason(desk, city):
    pay(desk, city, {"W-0001": "100"})
    payment = Payment.objects.get()
    response = desk.post(reverse("desk-cancel", args=[payment.pk]), {"reason": "  "})
    assert response.status_code == 400
    assert "a reason is required" in response.content.decode()
    response = desk.post(reverse("desk-cancel", args=[payment.pk]), {"reason": "wrong dwelling"})
    assert response.status_code == 302
    assert Cancellation.objects.get(payment=payment).reason == "wrong dwelling"
    page = desk.get(reverse("desk-receipt", args=[payment.pk])).content.decode()
    assert "CANCELLED" in page and 'id="cancel-form"' not in page


def test_shift_summary_and_day_close(desk, city, point):
    pay(desk, city, {"W-0001": "100", "H-0001": "200"})
    pay(desk, city, {"R-0001": "50"})
    first = Payment.objects.order_by("number").first()
    desk.post(reverse("desk-cancel", args=[first.pk]), {"reason": "mistake"})
    page = desk.get(reverse("desk-shift")).content.decode()
    assert 'id="day-status">open<' in page
    assert 'id="shift-count">1<' in page
    assert 'id="shift-total">50,00\u00a0грн<' in page
    assert 'id="shift-cancelled">1<' in page and "(300,00\u00a0грн)" in page
    response = desk.post(reverse("desk-close-day"), {"day": first.operational_day.isoformat()})
    assert response.status_code == 302
    assert OperationalDay.objects.get(point=point, day=first.operational_day).status == "closed"
    page = desk.get(response["Location"]).content.decode()
    assert "1 registers issued" in page
    assert 'id="day-status">closed<' in page and 'id="close-form"' not in page


def test_shift_day_status_in_words(desk, ukrainian):
    page = desk.get(reverse("desk-shift") + "?day=2026-01-05").content.decode()
    assert 'id="day-status">платежів ще немає<' in page  # not the selector's `none`


def test_short_cash_is_refused_in_ukrainian(desk, city, ukrainian):
    response = pay(desk, city, {"W-0001": "1500.50"}, tendered="50")
    assert "Отримано готівкою 50,00 — менше за суму платежу 1\u202f500,50." in response.content.decode()


def test_receipt_in_ukrainian_says_reshta_and_hryvnias(desk, city, ukrainian):
    pay(desk, city, {"W-0001": "450", "R-0001": "150"}, tendered="700")
    payment = Payment.objects.get()
    page = desk.get(reverse("desk-receipt", args=[payment.pk])).content.decode()
    assert '<th class="num" id="receipt-total">600,00\u00a0грн</th>' in page
    assert (
        'Отримано від платника: 700,00\u00a0грн · Решта: <span id="receipt-change">100,00\u00a0грн</span>'
        in page
    )
    assert "Зміна" not in page.split('id="receipt"')[1]  # the shift menu is "Зміна", the change is not
    card = desk.get(reverse("desk-dwelling", args=[city.dwellings["0001"].pk])).content.decode()
    assert 'data-unit="грн"' in card and 'Решта: <strong id="change">' in card
    assert '<td class="num" data-label="Заборгованість">1\u202f200,50\u00a0грн</td>' in card  # heat, unpaid


def test_no_cancel_form_once_the_day_is_closed(desk, city, point):
    pay(desk, city, {"W-0001": "100"})
    payment = Payment.objects.get()
    receipt = reverse("desk-receipt", args=[payment.pk])
    assert 'id="cancel-form"' in desk.get(receipt).content.decode()
    desk.post(reverse("desk-close-day"), {"day": payment.operational_day.isoformat()})
    assert OperationalDay.objects.get(point=point, day=payment.operational_day).status == "closed"
    page = desk.get(receipt).content.decode()
    assert 'id="cancel-form"' not in page and 'id="reason"' not in page
    # a cancel posted from a page opened before the close is refused, and the reason is shown
    response = desk.post(reverse("desk-cancel", args=[payment.pk]), {"reason": "late"})
    assert response.status_code == 400
    assert f"the operational day {payment.operational_day:%d.%m.%Y} is closed" in response.content.decode()
    assert 'id="cancel-error"' in response.content.decode()
    assert not Cancellation.objects.exists()


def test_shift_shows_the_cashier_s_name_and_cash_and_card_subtotals(desk, city, cashier):
    cashier.first_name, cashier.last_name = "Ольга", "Мельник"
    cashier.save(update_fields=["first_name", "last_name"])
    pay(desk, city, {"W-0001": "100"}, tendered="100")
    pay(desk, city, {"H-0001": "200.50"}, method="card")
    pay(desk, city, {"R-0001": "30"})
    cancelled = Payment.objects.order_by("number").last()
    desk.post(reverse("desk-cancel", args=[cancelled.pk]), {"reason": "mistake"})
    page = desk.get(reverse("desk-shift")).content.decode()
    assert 'id="shift-cash">100,00\u00a0грн<' in page  # the cancelled cash payment is not counted
    assert 'id="shift-card">200,50\u00a0грн<' in page
    assert 'id="shift-total">300,50\u00a0грн<' in page
    assert "Mine (Ольга Мельник): 2 · 300,50\u00a0грн" in page
    assert page.count("<td>Ольга Мельник</td>") == 3 and "<td>olha</td>" not in page


def test_receipt_shows_the_register_s_address_and_the_payer_not_the_provider_s_spelling(desk, city):
    from merezha.providers.models import Account

    # the heat provider writes the dwelling its own way (a former name, "кв." in the apartment)
    Account.objects.filter(number="H-0001").update(street="ул. Комсомольська", apartment="кв. 1")
    pay(desk, city, {"W-0001": "10", "H-0001": "20"})
    page = desk.get(reverse("desk-receipt", args=[Payment.objects.get().pk])).content.decode()
    assert '<p id="receipt-address">Address: <strong>вул. Свободи, 12, кв. 1</strong></p>' in page
    assert "Комсомольська" not in page and "кв. кв." not in page
    assert page.count('<span class="muted small payer">Коваленко Іван Петрович</span>') == 2


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="no pdftotext (poppler-utils) on PATH")
def test_end_of_shift_report_pdf_has_the_day_s_figures_and_the_cashier(desk, city, cashier, ukrainian):
    cashier.first_name, cashier.last_name = "Ольга", "Мельник"
    cashier.save(update_fields=["first_name", "last_name"])
    pay(desk, city, {"W-0001": "100"}, tendered="100")
    pay(desk, city, {"H-0001": "200.50"}, method="card")
    day = Payment.objects.first().operational_day
    shift = desk.get(reverse("desk-shift")).content.decode()
    assert f'href="{reverse("desk-shift-pdf")}?day={day.isoformat()}"' in shift
    response = desk.get(reverse("desk-shift-pdf"), {"day": day.isoformat()})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="shift-PT-01-{day.isoformat()}.pdf"'
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    assert lines[0] == "Звіт за зміну"
    assert "Касир: Ольга Мельник" in lines
    for expected in ("Платежі 2", "Готівка 100,00 грн", "Картка 200,50 грн", "Разом 300,50 грн"):
        assert expected in lines, (expected, lines)
    assert "Касир: ______________________ Ольга Мельник" in lines


def test_card_in_ukrainian_shows_area_and_amount_fields_with_a_comma(desk, city, ukrainian):
    dwelling = city.dwellings["0001"]
    page = desk.get(reverse("desk-dwelling", args=[dwelling.pk])).content.decode()
    assert " · 54,2\u00a0м²</p>" in page
    assert "m²" not in page
    # a posted form keeps what was typed, in the same form (`money_input`): a dot becomes a comma
    response = pay(desk, city, {"W-0001": "48.80", "H-0001": "abc"}, tendered="100.5")
    page = response.content.decode()
    assert f'name="amount_{city.accounts["W-0001"].pk}" value="48,80"' in page
    assert f'name="amount_{city.accounts["H-0001"].pk}" value="abc"' in page
    assert 'id="tendered" value="100,50"' in page


def test_payment_service_refusal_on_the_card_is_in_ukrainian(desk, city, ukrainian):
    response = pay(desk, city, {"W-0001": "10000000.01"}, method="card")
    assert response.status_code == 400
    assert (
        "<li>рядок 1: сума 10\u202f000\u202f000,01 перевищує граничну 10\u202f000\u202f000,00</li>"
        in response.content.decode()
    )
    assert not Payment.objects.exists()


def test_cancel_refusals_are_in_ukrainian(desk, city, point, ukrainian):
    pay(desk, city, {"W-0001": "100"})
    payment = Payment.objects.get()
    response = desk.post(reverse("desk-cancel", args=[payment.pk]), {"reason": "  "})
    assert 'id="cancel-error">для скасування платежу потрібна причина</p>' in response.content.decode()
    desk.post(reverse("desk-close-day"), {"day": payment.operational_day.isoformat()})
    response = desk.post(reverse("desk-cancel", args=[payment.pk]), {"reason": "late"})
    assert response.status_code == 400
    assert (
        f'id="cancel-error">операційний день {payment.operational_day:%d.%m.%Y} закрито: платіж не можна скасувати</p>'
        in response.content.decode()
    )


@pytest.mark.parametrize(
    ("query", "label"),
    [
        ("1779483742", "РНОКПП ******3742"),
        ("W-0001", "о/р W-0001"),
        ("1000123", "о/р 1000123"),
        ("0006", "код житла 0006"),
    ],
)
def test_search_results_say_why_in_ukrainian(desk, city, ukrainian, query, label):
    fragment = desk.get(reverse("desk-search"), {"q": query}).content.decode()
    assert f'<span class="match"> · {label}</span>' in fragment
    assert "tax id" not in fragment and "account" not in fragment and "dwelling id" not in fragment


def test_closing_a_future_day_is_refused_in_ukrainian(desk, point, ukrainian):
    day = timezone.localdate() + dt.timedelta(days=5)
    response = desk.post(reverse("desk-close-day"), {"day": day.isoformat()}, follow=True)
    assert (
        f'<li class="error">{day:%d.%m.%Y} ще не настав: цей день не можна закрити</li>'
        in response.content.decode()
    )
    assert not OperationalDay.objects.filter(point=point, day=day).exists()


def _lines(text: str) -> list[str]:
    """`text`'s lines, each run of spaces made one and the thousands of an amount joined (`1 283,36`
    and `1283,36` alike: OCR reads the narrow no-break space between thousands as a space or not at all)."""
    out = []
    for line in text.splitlines():
        if line.strip():
            out.append(re.sub(r"(?<=\d) (?=\d{3},\d{2}\b)", "", " ".join(line.split())))
    return out


def _ocr(pdf: bytes, tmp_path, name: str) -> list[str]:
    """The lines Tesseract reads on the PDF's pages rendered to PNG at 300 dpi, as printed."""
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(source), str(tmp_path / name)], check=True)
    pages = sorted(tmp_path.glob(f"{name}-*.png"))
    assert pages, "pdftoppm rendered no page"
    ocr = ["tesseract", "-", "-", "-l", "ukr+eng", "--psm", "6"]
    return [
        line
        for page in pages
        for line in _lines(
            subprocess.run(ocr, input=page.read_bytes(), capture_output=True, check=True).stdout.decode()
        )
    ]


def _pdf_text(pdf: bytes) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return _lines(text.stdout.decode())


@pytest.mark.skipif(
    not (shutil.which("tesseract") and shutil.which("pdftoppm") and shutil.which("pdftotext")),
    reason="no tesseract (tesseract-ocr, tesseract-ocr-ukr) or poppler-utils on PATH",
)
def test_receipt_and_end_of_shift_pdfs_read_back_with_their_totals(desk, city, cashier, ukrainian, tmp_path):
    """A two-service cash payment and a card payment: the receipt's PDF and the end-of-shift report's,
    printed to 300-dpi images and read back by OCR, carry every total the cashier hands over."""
    cashier.first_name, cashier.last_name = "Ольга", "Мельник"
    cashier.save(update_fields=["first_name", "last_name"])
    pay(desk, city, {"W-0001": "48.80", "H-0001": "1234.56"}, tendered="1300")
    pay(desk, city, {"R-0001": "200.50"}, method="card")
    cash = Payment.objects.get(method="cash")
    assert (cash.total, cash.change) == (Money.parse("1283.36"), Money.parse("16.64"))
    receipt_page = desk.get(reverse("desk-receipt", args=[cash.pk])).content.decode()
    assert f'href="{reverse("desk-receipt-pdf", args=[cash.pk])}"' in receipt_page
    receipt = desk.get(reverse("desk-receipt-pdf", args=[cash.pk])).content
    shift = desk.get(reverse("desk-shift-pdf"), {"day": cash.operational_day.isoformat()}).content

    for lines in (_ocr(receipt, tmp_path, "receipt"), _pdf_text(receipt)):
        for expected in (
            "Водопостачання W-0001 48,80 грн",
            "Опалення H-0001 1234,56 грн",
            "Разом 1283,36 грн",
        ):
            assert expected in lines, (expected, lines)
        text = " ".join(lines)
        assert "1300,00 грн" in text and "16,64 грн" in text, lines
    for lines in (_ocr(shift, tmp_path, "shift"), _pdf_text(shift)):
        for expected in ("Платежі 2", "Готівка 1283,36 грн", "Картка 200,50 грн", "Разом 1483,86 грн"):
            assert expected in lines, (expected, lines)


def test_a_ticked_service_with_no_amount_asks_for_one_and_the_card_names_today_s_payment(
    desk, city, ukrainian
):
    """What a form restored by the browser's Back sends (ticks kept, the paid debts now empty): one
    plain sentence per service, never «» (an empty text quoted), and the receipt already taken."""
    pay(desk, city, {"W-0001": "48.80"}, method="card")
    payment = Payment.objects.get()
    response = pay(desk, city, {"W-0001": "", "H-0001": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "«»" not in page
    assert (
        "<li>Водоканал · Водопостачання · W-0001: введіть суму до сплати або зніміть позначку з послуги.</li>"
        in page
    )
    assert (
        f'<p class="notice" id="paid-today">Сьогодні тут уже сплачено: <a href="/desk/payment/{payment.pk}/">'
        f"квитанція № {payment.receipt}</a> · 48,80\u00a0грн · {timezone.localtime(payment.accepted_at):%H:%M}</p>"
    ) in page
    assert Payment.objects.count() == 1
    # a cancelled payment is no longer named
    desk.post(reverse("desk-cancel", args=[payment.pk]), {"reason": "wrong payer"})
    card = desk.get(reverse("desk-dwelling", args=[city.dwellings["0001"].pk])).content.decode()
    assert 'id="paid-today"' not in card
