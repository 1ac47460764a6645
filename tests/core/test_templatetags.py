"""The page filters: amounts as people read them, codes by their names."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from merezha.core.money import Money
from merezha.core.templatetags.money import money, uah
from merezha.core.templatetags.names import name_of

NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Money(123456), f"1{NNBSP}234,56"),
        (Money(-123456789), f"-1{NNBSP}234{NNBSP}567,89"),
        (Money(5), "0,05"),
        (Money(0), "0,00"),
        ("1234.56", f"1{NNBSP}234,56"),  # a payload's machine form
        ("-100.00", "-100,00"),
        (Decimal("4000"), f"4{NNBSP}000,00"),
        ("?", "?"),  # not an amount: as it is
        ("", ""),
        (None, ""),
    ],
)
def test_money_filter(value, shown):
    assert money(value) == shown


def test_money_filter_shows_its_argument_for_no_amount():
    assert (money(None, "—"), money("", "?"), money(Money(0), "—")) == ("—", "?", "0,00")


@pytest.mark.parametrize("language", ["uk", "en"])
def test_money_in_a_template_is_the_same_in_both_languages(language):
    template = Template('{% load money %}<td class="num">{{ a|money }}</td><td>{{ b|money:"—" }}</td>')
    with translation.override(language):
        html = template.render(Context({"a": Money(100050), "b": None}))
    assert html == f'<td class="num">1{NNBSP}000,50</td><td>—</td>'


def test_money_filter_escapes_text_that_is_not_an_amount():
    html = Template("{% load money %}{{ a|money }}").render(Context({"a": "<b>"}))
    assert html == "&lt;b&gt;"


def test_name_of():
    names = {"water": "Водопостачання"}
    assert (name_of("water", names), name_of("lift", names), name_of("water", None)) == (
        "Водопостачання",
        "lift",
        "water",
    )


def test_uah_filter_puts_the_currency_after_the_amount(ukrainian):
    assert (uah(Money(123456)), uah("48.80"), uah(None), uah("")) == (
        f"1{NNBSP}234,56\u00a0грн",
        "48,80\u00a0грн",
        "",
        "",
    )
    with translation.override("en"):
        assert uah(Money(5)) == "0,05\u00a0UAH"
