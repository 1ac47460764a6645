"""The imports' English reasons shown in the reader's language (core.reasons)."""

from __future__ import annotations

import pytest
from django.utils import translation

from merezha.core.reasons import TEMPLATES, reason_localise, reason_template, template_names


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
