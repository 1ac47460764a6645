"""The page filters: amounts as people read them, codes by their names."""

import datetime as dt
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
    with translation.override("en"):  # the hryvnia's sign is the same on an English page
        assert uah(Money(5)) == "0,05\u00a0грн"


# --- the figures library: one way to show money, dates, areas and counts -------------------------

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("expression", "value", "shown"),
    [
        ("uah", Money(123456), f"1{NNBSP}234,56{NBSP}грн"),
        ("uah", "1234.56", f"1{NNBSP}234,56{NBSP}грн"),
        ("uah", None, ""),
        ("money_input", Money(4880), "48,80"),
        ("money_input", "123456.70", "123456,70"),
        ("money_input", "48,8x", "48,8x"),  # as typed, beside its error
        ("date_ua", dt.date(2026, 12, 7), "07.12.2026"),
        ("date_ua", "2026-12-07", "07.12.2026"),  # a payload's ISO text
        ("date_ua", dt.datetime(2026, 12, 7, 22, 30, tzinfo=dt.UTC), "08.12.2026"),  # the day in Kyiv
        ("datetime_ua", dt.datetime(2026, 12, 7, 12, 5, tzinfo=dt.UTC), "07.12.2026 14:05"),
        ("date_ua", "not a date", "not a date"),
        ("area", Decimal("66.90"), f"66,9{NBSP}м²"),
        ("area", "1234.56", f"1{NNBSP}234,56{NBSP}м²"),
        ("area", Decimal("70.00"), f"70{NBSP}м²"),
        ("count", 10001, f"10{NNBSP}001"),
        ("count", 999, "999"),
        ("count", -1234567, f"-1{NNBSP}234{NNBSP}567"),
    ],
)
@pytest.mark.parametrize("language", ["uk", "en"])
def test_figures_read_the_same_in_both_languages(expression, value, shown, language):
    with translation.override(language):
        html = Template("{{ v|" + expression + " }}").render(Context({"v": value}))
    assert html == shown


@pytest.mark.parametrize("language", ["uk", "en"])
def test_a_date_on_its_own_reads_day_month_year(language):
    with translation.override(language):
        html = Template("{{ d }} {{ d|date }} {{ m|date:'YEAR_MONTH_FORMAT' }}").render(
            Context({"d": dt.date(2026, 12, 7), "m": dt.date(2026, 10, 1)})
        )
    assert html == "07.12.2026 07.12.2026 10.2026"


@pytest.mark.parametrize(
    ("months", "shown"), [(1, "1 місяць"), (3, "3 місяці"), (5, "5 місяців"), (21, "21 місяць")]
)
def test_months_are_counted_in_the_right_plural(months, shown):
    template = Template(
        "{% load i18n %}{% blocktranslate count months=n %}{{ months }} month{% plural %}{{ months }} months"
        "{% endblocktranslate %}"
    )
    with translation.override("uk"):
        assert template.render(Context({"n": months})) == shown


def test_money_input_text_parses_back():
    assert Money(123456).input_text() == "1234,56"
    assert Money.parse(Money(-5).input_text()) == Money(-5)
