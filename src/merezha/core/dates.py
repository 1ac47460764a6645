"""Plausible dates: an operational day, a certificate's "as of" date or a decision's period is
accepted only within a window around today (settings.PLAUSIBLE_DAYS_BACK days back,
settings.PLAUSIBLE_DAYS_FORWARD days ahead). A day close for 0001-01-01, a certificate as of
9999-12-31 or a decision for 9999-12 is a typing mistake or a probe, never a business fact.

One rule, here: the services, API routes, pages and commands that take such a date call
`plausible_day_check` or `plausible_period_check` and turn `ImplausibleDate` into their own
refusal (422, a form error, a rejected row, a one-line command error).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone


class ImplausibleDate(ValueError):
    """A date outside the plausible window around today."""


def plausible_window(*, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last plausible day (both included)."""
    today = today or timezone.localdate()
    return (
        today - dt.timedelta(days=settings.PLAUSIBLE_DAYS_BACK),
        today + dt.timedelta(days=settings.PLAUSIBLE_DAYS_FORWARD),
    )


def plausible_day_check(day: dt.date, *, today: dt.date | None = None) -> dt.date:
    """`day` when it lies in the plausible window; otherwise ImplausibleDate saying the window."""
    first, last = plausible_window(today=today)
    if not first <= day <= last:
        raise ImplausibleDate(
            f"the date {day.isoformat()} is not plausible: it must be from {first.isoformat()} "
            f"to {last.isoformat()}"
        )
    return day


def plausible_period_check(period: dt.date, *, today: dt.date | None = None) -> dt.date:
    """`period` (a month's first day) when the month overlaps the plausible window; otherwise
    ImplausibleDate saying the window's months."""
    first, last = plausible_window(today=today)
    if not first.replace(day=1) <= period <= last:
        raise ImplausibleDate(
            f"the period {period:%Y-%m} is not plausible: it must be from {first:%Y-%m} to {last:%Y-%m}"
        )
    return period
