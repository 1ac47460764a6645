"""The imports' English reasons shown in the reader's language (core.reasons)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from merezha.core.money import Money
from merezha.core.reasons import (
    TEMPLATES,
    Refused,
    message_localise,
    reason_localise,
    reason_template,
    template_names,
)


def test_every_template_has_a_ukrainian_translation_with_the_same_values():
    with translation.override("uk"):
        untranslated = [t for t in TEMPLATES if translation.gettext(t) == t]
        changed = [t for t in TEMPLATES if template_names(translation.gettext(t)) != template_names(t)]
    assert (untranslated, changed) == ([], [])


def test_templates_are_not_repeated():
    assert len(set(TEMPLATES)) == len(TEMPLATES)


@pytest.mark.parametrize(
    ("english", "ukrainian"),
    [
        ("required value is empty", "обов'язкове значення порожнє"),
        ("longer than 32 characters", "задовге значення (найбільша довжина: 32)"),
        (
            "unknown service 'milk': not a network code nor your alias",
            "невідома послуга 'milk': це не код послуги мережі і не ваш псевдонім",
        ),
        ("unknown street: вул. Неіснуюча", "невідома вулиця: вул. Неіснуюча"),
        ("2 dwellings at this address", "помешкань за цією адресою: 2"),
        # a reason inside a reason
        (
            "not an exchange file: a RAR archive: unpack it and send the file inside",
            "це не файл обміну: архів RAR: розпакуйте його й надішліть файл, що всередині",
        ),
        (
            "address 'Шевченка 10': the register has no whole-house dwelling in house 10",
            "адреса 'Шевченка 10': у реєстрі немає помешкання без номера квартири в будинку 10",
        ),
        # the longest template that fits, not the shorter one it starts with
        (
            "the text is not valid UTF-8 (it starts with a UTF-8 byte-order mark)",
            "текст не є коректним UTF-8 (він починається з позначки порядку байтів UTF-8)",
        ),
        ("the text is not valid cp1251", "текст не є коректним cp1251"),
        (
            "fields LS and ACCOUNT are both read as column 'account'",
            "поля LS і ACCOUNT читаються як один стовпець 'account'",
        ),
    ],
)
def test_a_reason_is_shown_in_ukrainian_with_its_values(english, ukrainian):
    with translation.override("uk"):
        assert reason_localise(english) == ukrainian
    with translation.override("en"):
        assert reason_localise(english) == english


def test_a_reason_no_template_knows_is_shown_as_it_is():
    with translation.override("uk"):
        assert reason_localise("RuntimeError: the disk is full") == "RuntimeError: the disk is full"
        assert reason_localise("") == ""
    assert reason_template("unknown street: ") is None  # a value is never empty


def test_a_translation_that_names_other_values_falls_back_to_the_english(monkeypatch):
    monkeypatch.setattr("merezha.core.reasons.gettext", lambda t: "невідома вулиця: {name}")
    assert reason_localise("unknown street: X") == "unknown street: X"


NN = "\u202f"  # the thousands separator of every figure on a page


@pytest.mark.parametrize(
    ("english", "ukrainian"),
    [
        # amounts with two places: grouped, with a decimal comma
        (
            "line 1: amount 99999999999.00 is over the limit 10000000.00",
            f"рядок 1: сума 99{NN}999{NN}999{NN}999,00 перевищує граничну 10{NN}000{NN}000,00",
        ),
        ("line 2: amount must be positive, got -5.00", "рядок 2: сума має бути додатною, а не -5,00"),
        # dates and periods
        (
            "the operational day 2026-12-07 is closed: it cannot be cancelled",
            "операційний день 07.12.2026 закрито: платіж не можна скасувати",
        ),
        (
            "period 2026-11 is older than the snapshot in force (2026-12)",
            "період 11.2026 старіший за чинне вивантаження (12.2026)",
        ),
        # counts
        ("the file has more than 100000 rows", f"файл має більше ніж 100{NN}000 рядків"),
        ("longer than 32 characters", "задовге значення (найбільша довжина: 32)"),
        # identifiers and the text as typed stay as they are
        (
            "account 1000123 for water appears 2 times in the file (first on line 12345)",
            "особовий рахунок 1000123 за послугою water трапляється у файлі більше одного разу "
            "(разів: 2; уперше в рядку 12345)",
        ),
        (
            "tax id 1234567890: wrong check digit",
            "ідентифікаційний код 1234567890: неправильна контрольна цифра",
        ),
        ("not a period: '2026-13' (expected YYYY-MM)", "не період: '2026-13' (очікується РРРР-ММ)"),
        ("no house 1234 on this street", "на цій вулиці немає будинку 1234"),
        ("row 10000 has more than 16384 cells", f"рядок 10000 має більше ніж 16{NN}384 клітинок"),
    ],
)
def test_the_figures_in_a_reason_are_shown_as_pages_show_figures(english, ukrainian):
    with translation.override("uk"):
        assert reason_localise(english) == ukrainian


def test_a_message_shows_its_typed_values_as_pages_show_figures():
    values = {
        "amount": Money.parse("1234.56"),
        "limit": Decimal("10000000.00"),
        "date": dt.date(2026, 12, 7),
        "month": dt.date(2026, 11, 1),
        "n": 12022,
        "line": 12022,
    }
    template = "{amount} {limit} {date} {month} {n} {line}"
    assert (
        message_localise(template, values)
        == f"1{NN}234,56 10{NN}000{NN}000,00 07.12.2026 11.2026 12{NN}022 12022"
    )
    assert message_localise("{area} m²", {"area": Decimal("100000.50")}) == f"100{NN}000,5 m²"
    assert message_localise("{tax_id} {code}", {"tax_id": "1234567890", "code": "0006"}) == "1234567890 0006"


def test_a_refusal_keeps_the_exchange_form_in_english_and_shows_figures_on_a_page():
    refused = Refused(
        [
            ("registered_from", "date {value} is in the future", {"value": dt.date(2031, 1, 1)}),
            (
                "month",
                "the month {month} has not begun: there is nothing to report yet",
                {"month": dt.date(2031, 1, 1)},
            ),
        ]
    )
    assert str(refused) == (
        "registered_from: date 2031-01-01 is in the future; "
        "month: the month 2031-01 has not begun: there is nothing to report yet"
    )
    with translation.override("uk"):
        assert refused.localised() == {
            "registered_from": ["дата 01.01.2031 ще не настала"],
            "month": ["місяць 01.2031 ще не почався: звітувати ще нема про що"],
        }


def test_echoed_input_and_names_are_never_read_as_figures():
    """What a line holds, a street's name: shown as typed, even when they look like figures."""
    with translation.override("uk"):
        held = reason_localise(
            "no header row: the first row must name the columns (account, …); line 1 holds: 1234.56"
        )
        assert held.endswith("1234.56"), held
        assert reason_localise("unknown street: 2026") == "невідома вулиця: 2026"
