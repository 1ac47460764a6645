import datetime as dt

import pytest

from merezha.core.identifiers import parse_date, parse_period, tax_id_mask, tax_id_normalise


def test_tax_id_valid_and_masked():
    assert tax_id_normalise(" 3460442939 ") == "3460442939"
    assert tax_id_mask("3460442939") == "******2939"


@pytest.mark.parametrize(
    ("text", "reason"),
    [("3460442930", "wrong check digit"), ("12345", "10 digits"), ("XYZ-1", "neither")],
)
def test_tax_id_refused(text, reason):
    with pytest.raises(ValueError, match=reason):
        tax_id_normalise(text)


def test_passport_and_id_card():
    assert tax_id_normalise("кв 123456") == "КВ123456"
    assert tax_id_normalise("KB123456") == "КВ123456"
    assert tax_id_normalise("001234567") == "001234567"


def test_dates_and_periods():
    assert parse_date("19.09.1948") == dt.date(1948, 9, 19)
    assert parse_date("1948-09-19") == dt.date(1948, 9, 19)
    assert parse_period("2026-10") == dt.date(2026, 10, 1)
    with pytest.raises(ValueError):
        parse_date("31.02.2020")
    with pytest.raises(ValueError):
        parse_period("2026-13")


def test_period_as_the_first_day_of_its_month():
    """What a spreadsheet makes of a typed `2026-11`: the date 1 November 2026."""
    assert parse_period("2026-11-01") == dt.date(2026, 11, 1)
    for text in ("2026-11-15", "2026-11-01 10:00", "01.11.2026", "11.2026"):
        with pytest.raises(ValueError, match="expected YYYY-MM"):
            parse_period(text)


@pytest.mark.parametrize(
    "text",
    ["2026-10-31", "2026-10-31 00:00:00", "2026-10-31 00:00", "2026-10-31 23:59:59", " 2026-10-31 12:30 "],
)
def test_an_iso_date_may_carry_a_time_as_spreadsheets_write_it(text):
    assert parse_date(text) == dt.date(2026, 10, 31)


@pytest.mark.parametrize(
    "text",
    [
        "2026-10-31 anything",
        "2026-10-31 00:00:00 UTC",
        "2026-10-31 00:00:00.5",
        "2026-10-31T00:00:00",
        "2026-10-31  00:00",
        "2026-10-31 0:00",
        "2026-10-31 24:00",
        "2026-10-31 12:60",
        "2026-10-31 12:30:60",
        "2026-10-31 12",
        "2026-10-31 12:30:",
        "2026-10-31 1a:30",
        "31.10.2026 00:00",
    ],
)
def test_a_date_followed_by_anything_but_a_time_is_refused(text):
    with pytest.raises(ValueError) as exc:
        parse_date(text)
    assert str(exc.value) == f"not a date: {text!r} (expected YYYY-MM-DD or DD.MM.YYYY)"
