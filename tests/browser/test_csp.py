"""The Content-Security-Policy (django-csp, settings.CONTENT_SECURITY_POLICY) breaks no page: the
login, the desk, a receipt with its print button and language switch, and its PDF, in Chromium,
with every CSP violation the browser reports collected (console and `securitypolicyviolation`)."""

from __future__ import annotations

import re

import pytest

from merezha.core.money import Money
from merezha.core.roles import OrgKind, Role
from merezha.organisations.services import organisation_create, user_create
from merezha.payments.services import PaymentLineIn, payment_create
from merezha.providers.models import Account
from tests.search.seed import city_seed

pytestmark = pytest.mark.django_db(transaction=True)

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));
"""


def test_pages_and_the_pdf_receipt_work_under_the_policy(page):
    city = city_seed()
    point = organisation_create(code="PT-09", name="Ощадбанк № 9", kind=OrgKind.PAYMENT_POINT)
    cashier = user_create(username="iryna", password="secret-pw-1", organisation=point, role=Role.CASHIER)
    account = Account.objects.filter(dwelling=city.dwellings["0007"]).order_by("pk").first()
    payment = payment_create(
        cashier=cashier,
        point=point,
        lines=[PaymentLineIn(account_id=account.pk, amount=Money.parse("10.00"))],
        method="card",
        tendered=None,
        idempotency_key="csp-1",
    ).payment
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.context.add_init_script(WATCH)

    response = page.goto("/login/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy
    page.fill("#id_username", "iryna")
    page.fill("#id_password", "secret-pw-1")
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(r"/desk/$"))
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'q'")  # desk.js ran
    violations = page.evaluate("() => window.__csp")

    page.goto(f"/desk/payment/{payment.pk}/")
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    page.click("#print")  # site.js, not an inline onclick
    assert page.evaluate("() => window.__printed") == 1
    with page.expect_navigation():
        page.select_option("select[name=language]", "uk")  # site.js submits the form
    assert page.locator("html").get_attribute("lang") == "uk"
    violations += page.evaluate("() => window.__csp")

    pdf = page.request.get(page.locator("#pdf").get_attribute("href"))
    assert (pdf.status, pdf.headers["content-type"], pdf.body()[:5]) == (200, "application/pdf", b"%PDF-")
    assert "content-security-policy" in pdf.headers

    assert violations == []
    assert [m for m in console if "Content Security Policy" in m] == []
