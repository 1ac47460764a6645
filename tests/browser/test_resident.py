"""The resident at 390 px: the code from a freshly printed bill, the debts, the certificate, the
cashier's look-up of a minute before (made at the desk by typing the bill's dwelling code and
Enter, as a keyboard-wedge scanner does), and the form locked after ten wrong codes."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from merezha.core.roles import OrgKind, Role
from merezha.organisations.services import organisation_create, user_create
from merezha.portal import services
from tests.portal.conftest import bill_city

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is needed"),
]


def printed_codes(tmp_path, dwelling_id):
    """The dwelling code and the access code, as read from the printed bill's text."""
    pdf = tmp_path / "bill.pdf"
    pdf.write_bytes(services.bill_pdf(dwelling_ids=[dwelling_id], layout="a5"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    dwelling = re.search(r"Код житла: (D\d{6,})", text).group(1)
    access = re.search(r"Код доступу до особистої сторінки: ([2-9A-Z]{5}-[2-9A-Z]{5})", text).group(1)
    return dwelling, access


def no_horizontal_scroll(page):
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_resident_with_a_printed_bill(browser, live_server, tmp_path, ukrainian):
    city = bill_city()
    dwelling = city.dwellings["0001"]
    dwelling_code, access_code = printed_codes(tmp_path, dwelling.pk)
    point = organisation_create(code="PT-07", name="Ощадбанк № 7", kind=OrgKind.PAYMENT_POINT)
    user_create(username="olha", password="secret-pw-1", organisation=point, role=Role.CASHIER)

    # the cashier scans the bill: the code and Enter open the dwelling's card
    desk = browser.new_context(base_url=live_server.url, locale="uk-UA").new_page()
    desk.set_default_timeout(10_000)
    desk.goto("/login/")
    desk.fill("#id_username", "olha")
    desk.fill("#id_password", "secret-pw-1")
    desk.press("#id_password", "Enter")
    desk.wait_for_url(re.compile(r"/desk/$"))
    desk.wait_for_function("() => document.activeElement && document.activeElement.id === 'q'")
    desk.keyboard.type(dwelling_code, delay=2)
    desk.keyboard.press("Enter")
    desk.wait_for_url(re.compile(rf"/desk/dwelling/{dwelling.pk}/$"))
    assert desk.locator("#address").inner_text() == "вул. Свободи, 12, кв. 1"
    desk.context.close()

    # the resident, on a phone
    context = browser.new_context(
        base_url=live_server.url, locale="uk-UA", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/resident/")
    assert no_horizontal_scroll(page)
    page.fill("#code", access_code)
    page.fill("#account", "R-0001")
    page.click("#sign-in-button")
    page.wait_for_url(re.compile(r"/resident/home/$"))
    assert no_horizontal_scroll(page)
    assert page.locator("#address").inner_text() == "вул. Свободи, 12, кв. 1"
    assert page.locator(".debt").count() == 3
    assert page.locator("#total").inner_text() == "1\u202f950,50 грн"
    assert page.locator(".as-of").first.inner_text().startswith("Дані станом на ")

    with page.expect_download() as download:
        page.click("#certificate")
    path = tmp_path / "certificate.pdf"
    download.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")

    page.click("a[href='/resident/looks/']")
    page.wait_for_url(re.compile(r"/resident/looks/$"))
    assert no_horizontal_scroll(page)
    looks = page.locator(".look")
    assert looks.count() == 2  # the scanned code's search, then the card it opened: two look-ups
    assert "Ощадбанк № 7" in looks.first.inner_text() and "Пункт прийому платежів" in looks.first.inner_text()
    assert "olha" not in page.content()
    page.screenshot(path=str(tmp_path / "looks-390.png"), full_page=True)

    # a stranger with the account number: ten wrong codes lock the form
    page.click("form[action='/resident/sign-out/'] button")
    page.wait_for_url(re.compile(r"/resident/$"))
    for _ in range(10):
        page.fill("#code", "AAAAA-AAAAA")
        page.fill("#account", "R-0001")
        with page.expect_navigation():
            page.click("#sign-in-button")
        assert page.locator("#sign-in-error").is_visible()
    assert page.locator("#sign-in fieldset").get_attribute("disabled") is not None
    assert "Забагато невдалих спроб" in page.locator("#sign-in-error").inner_text()
    assert page.locator("#sign-in-button").is_disabled()
    assert no_horizontal_scroll(page)
    context.close()
