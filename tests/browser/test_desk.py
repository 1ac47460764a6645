"""The cashier's whole flow in a real browser, driven from the keyboard.

Find by a former street name, by a misspelt surname and by tax id; pay two of three services with
an edited amount; print (print view and PDF); cancel one payment; close the day.
"""

from __future__ import annotations

import re

import pytest

from merezha.core.models import AuditEntry
from merezha.core.money import Money
from merezha.core.roles import OrgKind, Role
from merezha.organisations.services import organisation_create, user_create
from merezha.payments.models import Cancellation, OperationalDay, Payment
from tests.search.seed import city_seed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cashier_page(page):
    city = city_seed()
    point = organisation_create(code="PT-07", name="Ощадбанк № 7", kind=OrgKind.PAYMENT_POINT)
    user_create(username="olha", password="secret-pw-1", organisation=point, role=Role.CASHIER)
    page.goto("/login/")
    page.fill("#id_username", "olha")
    page.fill("#id_password", "secret-pw-1")
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(r"/desk/$"))
    return page, city, point


def search(page, query: str):
    box = page.locator("#q")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'q'")
    box.fill("")
    page.keyboard.type(query, delay=5)
    page.wait_for_function(
        "q => new URLSearchParams(location.search).get('q') === q", arg=query
    )  # the results of exactly this text are in
    return page.locator("a.hit")


def test_search_card_pay_print_cancel_close(cashier_page):
    page, city, point = cashier_page

    # by a former street name: the card opens with Enter
    hits = search(page, "Комсомольська 12 1")
    assert hits.count() == 1
    assert "вул. Свободи, 12, кв. 1" in hits.first.inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/desk/dwelling/\d+/$"))
    assert page.locator("#address").inner_text() == "вул. Свободи, 12, кв. 1"
    assert page.locator("#stale-warning").is_visible()
    assert "1779483742" not in page.content() and "******3742" in page.content()
    page.keyboard.press("Escape")  # back to the search box
    page.wait_for_url(re.compile(r"/desk/$"))

    # by a misspelt surname
    hits = search(page, "Ковалинко")
    assert [h.inner_text().split(" · ")[0].strip() for h in hits.all()] == ["вул. Свободи, 12, кв. 1"]
    assert "Коваленко Іван Петрович" in hits.first.inner_text()

    # arrows choose among several results
    hits = search(page, "Свободи 12")
    assert hits.count() == 3
    page.keyboard.press("ArrowDown")
    assert page.locator("a.hit.selected").inner_text().startswith("вул. Свободи, 12, кв. 2")
    page.keyboard.press("ArrowUp")
    assert page.locator("a.hit.selected").inner_text().startswith("вул. Свободи, 12, кв. 1")

    # by tax id
    hits = search(page, "1779483742")
    assert hits.count() == 1
    assert "******3742" in hits.first.inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/desk/dwelling/\d+/$"))

    # pay two of three: rows are 1 rent (KVART), 2 heat (TEPLO), 3 water (VODO)
    assert page.locator("#total").inner_text() == "1\u202f950,50\u00a0грн"
    page.keyboard.press("1")  # untick rent
    assert not page.locator("input[name=account][data-key='1']").is_checked()
    page.keyboard.press("e")  # the first ticked amount: heat
    page.keyboard.type("600,25")
    page.keyboard.press("Tab")  # from amount to amount, past the next row's tick box
    assert page.evaluate("() => document.activeElement.name") == f"amount_{city.accounts['W-0001'].pk}"
    page.keyboard.press("Escape")
    page.keyboard.press("t")
    page.keyboard.type("1100")
    assert page.locator("#total").inner_text() == "1\u202f050,25\u00a0грн"
    assert page.locator("#change").inner_text() == "49,75\u00a0грн"
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/desk/payment/[0-9a-f-]+/$"))
    assert page.locator("#receipt-total").inner_text() == "1\u202f050,25\u00a0грн"
    assert page.locator("#receipt-change").inner_text() == "49,75\u00a0грн"
    assert page.locator("table.lines tbody tr").count() == 2

    payment = Payment.objects.get()
    assert payment.total == Money(105025)
    assert sorted((line.account.number, line.amount) for line in payment.lines.all()) == [
        ("H-0001", Money(60025)),
        ("W-0001", Money(45000)),
    ]

    # print: P opens the print dialog; the print view hides the page's chrome; the PDF is served
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    page.keyboard.press("p")
    assert page.evaluate("() => window.__printed") == 1
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    assert not page.locator("#cancel-form").is_visible()
    assert page.locator("#receipt").is_visible()
    page.emulate_media(media="screen")
    pdf = page.request.get(page.locator("#pdf").get_attribute("href"))
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # next payer: a provider's payer found by surname, pays by card, then the payment is cancelled
    page.keyboard.press("n")
    page.wait_for_url(re.compile(r"/desk/$"))
    search(page, "Мельник")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/desk/dwelling/\d+/$"))
    page.keyboard.press("k")
    assert page.locator("#tendered").is_disabled()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/desk/payment/[0-9a-f-]+/$"))
    second = Payment.objects.exclude(pk=payment.pk).get()
    assert (second.method, second.total) == ("card", Money(9900))
    page.keyboard.press("x")
    page.keyboard.type("wrong payer")
    page.keyboard.press("Enter")
    page.wait_for_selector("#cancelled")
    assert "wrong payer" in page.locator("#cancelled").inner_text()
    assert Cancellation.objects.get().payment_id == second.pk

    # the shift: one valid payment, one cancelled; close the day
    page.goto("/desk/shift/")
    assert page.locator("#shift-count").inner_text() == "1"
    assert page.locator("#shift-total").inner_text() == "1\u202f050,25\u00a0грн"
    assert page.locator("#shift-cancelled").inner_text() == "1"
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.locator("#close-day").focus()
    page.keyboard.press("Enter")  # asked first; "no" leaves the day open
    page.wait_for_timeout(500)
    assert asked == [
        f"Close the day {payment.operational_day:%d.%m.%Y}? The registers are issued to the providers "
        "and the day's payments can no longer be cancelled."
    ]
    assert OperationalDay.objects.get(point=point).status == "open"
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#close-day").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#day-status:text('closed')")
    assert "registers issued" in page.locator(".messages").inner_text()
    assert OperationalDay.objects.get(point=point).status == "closed"

    # every card opened was audited: three look-ups (plus the two payments' re-reads)
    assert AuditEntry.objects.filter(action="dwelling_lookup").count() >= 3


def test_double_enter_takes_one_payment(cashier_page):
    page, city, point = cashier_page
    page.goto(f"/desk/dwelling/{city.dwellings['0007'].pk}/")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/desk/payment/[0-9a-f-]+/$"))
    page.go_back()
    page.wait_for_url(re.compile(r"/desk/dwelling/\d+/$"))
    page.reload()  # a fresh form: a new key
    assert Payment.objects.count() == 1


def _ukrainian_cashier(browser, live_server, settings, width: int, height: int):
    """A cashier signed in, in Ukrainian (the longer labels), on a screen `width` px wide."""
    settings.LANGUAGE_CODE = "uk"
    context = browser.new_context(
        base_url=live_server.url, locale="uk-UA", viewport={"width": width, "height": height}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    city = city_seed()
    point = organisation_create(code="PT-07", name="Ощадбанк № 7", kind=OrgKind.PAYMENT_POINT)
    user = user_create(username="olha", password="secret-pw-1", organisation=point, role=Role.CASHIER)
    user.first_name, user.last_name = "Ольга", "Коваленко-Шевчук"
    user.save(update_fields=["first_name", "last_name"])
    page.goto("/login/")
    page.fill("#id_username", "olha")
    page.fill("#id_password", "secret-pw-1")
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(r"/desk/$"))
    return context, page, city


@pytest.fixture
def phone_page(browser, live_server, settings):
    """A cashier signed in on a 390 px wide phone, in Ukrainian."""
    context, page, city = _ukrainian_cashier(browser, live_server, settings, 390, 844)
    yield page, city
    context.close()


@pytest.fixture
def ukrainian_page(browser, live_server, settings):
    """A cashier signed in on a 1366 px screen, in Ukrainian."""
    context, page, city = _ukrainian_cashier(browser, live_server, settings, 1366, 768)
    yield page, city
    context.close()


def test_the_desk_fits_a_390_px_phone(phone_page):
    """No page of the cashier's flow scrolls sideways at 390 px: search, card, receipt, shift."""
    page, city = phone_page
    widths = {}

    def measure(name):
        widths[name] = page.evaluate("() => document.documentElement.scrollWidth")

    search(page, "Свободи 12")
    measure("search")
    page.goto(f"/desk/dwelling/{city.dwellings['0001'].pk}/")
    measure("card")
    page.fill("#tendered", "5000")
    page.locator("#pay").click()  # a tap on Pay, with the tendered field still focused
    page.wait_for_url(re.compile(r"/desk/payment/[0-9a-f-]+/$"))
    measure("receipt")
    assert "Решта" in page.locator("#receipt").inner_text()
    assert page.locator("#receipt tbody tr").count() >= 2  # a payment for two services or more
    page.goto("/desk/shift/")
    measure("shift")
    assert widths == {"search": 390, "card": 390, "receipt": 390, "shift": 390}


def _pay_then_back(page, city, *, refetch: bool):
    """Take the card's payment, then press the browser's Back: the card comes back from the browser's
    cache as it was (the same form, the same key), or, with the cache off, fetched again while the
    browser restores what the form held (as Chromium does when a cached page may not be reused)."""
    if refetch:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    page.goto(f"/desk/dwelling/{city.dwellings['0001'].pk}/")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/desk/payment/[0-9a-f-]+/$"))
    receipt_url = page.url
    page.go_back()
    page.wait_for_url(re.compile(r"/desk/dwelling/\d+/$"))
    page.locator("input.amount").first.focus()
    page.keyboard.press("Enter")  # in the amount field: the browser submits the form
    page.wait_for_load_state()
    return receipt_url


def test_back_then_enter_after_a_payment_shows_the_receipt_already_taken(ukrainian_page):
    page, city = ukrainian_page
    receipt_url = _pay_then_back(page, city, refetch=False)
    page.wait_for_url(receipt_url)  # the same key: the payment already taken, not a second one
    assert page.locator("#receipt-total").inner_text() == "1\u202f950,50\u00a0грн"
    assert Payment.objects.count() == 1


def test_back_then_enter_on_a_card_fetched_again_names_the_payment_taken(ukrainian_page):
    """No wall of «» errors: the card fetched again offers nothing to pay (the debts are paid), keeps
    no stale tick, and names the receipt of the payment taken here today."""
    page, city = ukrainian_page
    receipt_url = _pay_then_back(page, city, refetch=True)
    page.wait_for_selector("#errors")
    assert page.locator("#errors li").all_inner_texts() == ["Виберіть хоча б одну послугу для оплати."]
    assert "«»" not in page.content()
    payment = Payment.objects.get()
    paid = page.locator("#paid-today")
    assert paid.inner_text().startswith(
        f"Сьогодні тут уже сплачено: квитанція № {payment.receipt} · 1\u202f950,50\u00a0грн · "
    )
    assert paid.locator("a").get_attribute("href") == receipt_url.removeprefix(page.url.split("/desk/")[0])
