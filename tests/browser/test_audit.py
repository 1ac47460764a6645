"""The audit viewer in a real browser: a cashier searches by tax id at the desk, the information
centre finds the search by the same tax id from its home page."""

from __future__ import annotations

import os
import re

import pytest

from merezha.core.roles import OrgKind, Role
from merezha.organisations.services import organisation_create, user_create
from tests.search.seed import city_seed

pytestmark = pytest.mark.django_db(transaction=True)


def login(page, username: str, password: str, lands: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(lands))


def test_the_centre_finds_a_cashiers_search_by_tax_id(browser, live_server, ukrainian):
    city = city_seed()
    point = organisation_create(code="PT-07", name="Ощадбанк № 7", kind=OrgKind.PAYMENT_POINT)
    user_create(username="olha", password="secret-pw-1", organisation=point, role=Role.CASHIER)
    centre = organisation_create(code="IC", name="Інформаційний центр", kind=OrgKind.INFO_CENTRE)
    user_create(username="ic", password="secret-pw-2", organisation=centre, role=Role.ADMIN)

    desk = browser.new_context(base_url=live_server.url)
    page = desk.new_page()
    login(page, "olha", "secret-pw-1", r"/desk/$")
    page.goto("/desk/?q=1779483742")  # the desk's search box, submitted
    assert page.locator("a.hit").count() == 1
    desk.close()

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    login(page, "ic", "secret-pw-2", r"/centre/$")
    page.click("#audit-link")
    page.wait_for_url(re.compile(r"/centre/audit/$"))
    page.fill("#id_tax_id", "1779483742")
    page.press("#id_tax_id", "Enter")
    page.wait_for_url(re.compile(r"tax_id=1779483742"))
    rows = page.locator("#audit-log tbody tr")
    assert rows.count() == 1
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[1:7] == [
        "olha",
        "PT-07",
        "Пошук житла (каса)",
        "сторінка",
        "******3742",
        str(city.dwellings["0001"].pk),
    ]
    shots = os.environ.get("MEREZHA_SCREENSHOTS")
    if shots:
        page.screenshot(path=f"{shots}/audit-1366.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=f"{shots}/audit-390.png", full_page=True)
    context.close()
