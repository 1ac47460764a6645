"""The settlement page in a real browser: a provider uploads a statement and sees its own settlement;
the page does not scroll sideways on a phone (the tables scroll in their box)."""

from __future__ import annotations

import os
import re

import pytest

from tests.settlements.conftest import DAY, city, closed_day, iban  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_provider_uploads_a_statement(page, city, closed_day, tmp_path):  # noqa: F811
    shots = os.environ.get("SCREENSHOTS", str(tmp_path))
    user = city.users["TEPLO"]
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw-123456")
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(r"/$|/[a-z]+/$"))
    page.goto(f"/settlement/?day={DAY}")
    statement = tmp_path / "s.csv"
    heat = city.ibans["TEPLO:heat"]
    statement.write_text(
        "statement_id;account_iban;value_date;amount;payer_iban;purpose\r\n"
        f"B-1;{heat};2026-11-03;1000.00;{iban(11)};згідно реєстру № 1 від 02.11.2026, пункт P001\r\n"
        f"B-1;{heat};2026-11-03;9.99;{iban(55)};повернення\r\n"
    )
    page.set_input_files("input[name=file]", str(statement))
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector(".messages")
    assert "B-1" in page.locator(".messages").inner_text()
    rows = page.locator(".scroll table").first.locator("tbody tr")
    assert rows.count() == 3  # P001, P002, POST: TEPLO's only
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{shots}/settlement-{width}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), width
