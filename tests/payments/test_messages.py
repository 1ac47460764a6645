"""The cashier's refusals are catalogue messages: English for the API and the command line, Ukrainian
on a page through the `reason` filter (core.reasons)."""

from __future__ import annotations

import pytest

from merezha.core.reasons import reason_localise


@pytest.mark.parametrize(
    ("english", "ukrainian"),
    [
        (
            "the operational day 2026-12-07 is closed: it cannot be cancelled",
            "операційний день 07.12.2026 закрито: платіж не можна скасувати",
        ),
        (
            "line 1: amount 99999999999.00 is over the limit 10000000.00",
            "рядок 1: сума 99\u202f999\u202f999\u202f999,00 перевищує граничну 10\u202f000\u202f000,00",
        ),
        ("payment 2026-0000001 is already cancelled", "платіж 2026-0000001 уже скасовано"),
        ("a reason is required to cancel a payment", "для скасування платежу потрібна причина"),
        (
            "cash tendered 10.00 is less than the total 48.80",
            "отримана готівка 10,00 менша за суму до сплати 48,80",
        ),
    ],
)
def test_payment_refusals_in_ukrainian(english, ukrainian, settings):
    from django.utils import translation

    with translation.override("uk"):
        assert reason_localise(english) == ukrainian


def test_an_english_page_shows_the_figures_as_every_page_does():
    from django.utils import translation

    with translation.override("en"):
        assert reason_localise("the operational day 2026-12-07 is closed: it cannot be cancelled") == (
            "the operational day 07.12.2026 is closed: it cannot be cancelled"
        )
        assert reason_localise("cash tendered 1000.00 is less than the total 1048.80") == (
            "cash tendered 1\u202f000,00 is less than the total 1\u202f048,80"
        )
        assert reason_localise("a reason is required to cancel a payment") == (
            "a reason is required to cancel a payment"
        )


def test_every_payment_refusal_has_a_catalogue_template():
    """A new PaymentError text needs its template in core.reasons and its translation."""
    import re
    from pathlib import Path

    import merezha.payments.services as services
    from merezha.core.reasons import reason_template

    source = Path(services.__file__).read_text()
    texts = re.findall(r'PaymentError\(\s*f?"([^"]+)"', source)
    assert len(texts) >= 19
    unknown = [t for t in texts if reason_template(re.sub(r"\{[^}]+\}", "X1", t)) is None]
    assert unknown == []
