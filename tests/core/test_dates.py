"""core.dates: the plausible window around today, one rule for days and periods."""

from __future__ import annotations

import datetime as dt

import pytest

from merezha.core.dates import ImplausibleDate, plausible_day_check, plausible_period_check, plausible_window

TODAY = dt.date(2026, 12, 7)


def test_the_window_comes_from_the_settings(settings):
    assert (settings.PLAUSIBLE_DAYS_BACK, settings.PLAUSIBLE_DAYS_FORWARD) == (1098, 366)
    assert plausible_window(today=TODAY) == (dt.date(2023, 12, 5), dt.date(2027, 12, 8))
    settings.PLAUSIBLE_DAYS_BACK, settings.PLAUSIBLE_DAYS_FORWARD = 10, 1
    assert plausible_window(today=TODAY) == (dt.date(2026, 11, 27), dt.date(2026, 12, 8))


def test_days_inside_pass_outside_are_refused():
    for day in (dt.date(2023, 12, 5), TODAY, dt.date(2027, 12, 8)):
        assert plausible_day_check(day, today=TODAY) == day
    for day, text in (
        (dt.date(1, 1, 1), "0001-01-01"),
        (dt.date(2023, 12, 4), "2023-12-04"),
        (dt.date(2027, 12, 9), "2027-12-09"),
        (dt.date(9999, 12, 31), "9999-12-31"),
    ):
        with pytest.raises(ImplausibleDate) as err:
            plausible_day_check(day, today=TODAY)
        assert str(err.value) == f"the date {text} is not plausible: it must be from 2023-12-05 to 2027-12-08"


def test_periods_overlapping_the_window_pass():
    assert plausible_period_check(dt.date(2023, 12, 1), today=TODAY) == dt.date(2023, 12, 1)
    assert plausible_period_check(dt.date(2027, 12, 1), today=TODAY) == dt.date(2027, 12, 1)
    for period in (dt.date(2023, 11, 1), dt.date(2028, 1, 1), dt.date(9999, 12, 1)):
        with pytest.raises(ImplausibleDate) as err:
            plausible_period_check(period, today=TODAY)
        assert str(err.value) == (
            f"the period {period:%Y-%m} is not plausible: it must be from 2023-12 to 2027-12"
        )


def test_the_reason_reads_in_ukrainian(ukrainian):
    from merezha.core.reasons import reason_localise

    with pytest.raises(ImplausibleDate) as err:
        plausible_day_check(dt.date(1, 1, 1), today=TODAY)
    assert reason_localise(str(err.value)) == (
        "дата 01.01.0001 неправдоподібна: вона має бути від 05.12.2023 до 08.12.2027"
    )
