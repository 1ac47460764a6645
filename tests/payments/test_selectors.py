"""Reads of the payments app: the shift's cash and card subtotals."""

import datetime as dt

import pytest

from merezha.core.money import Money
from merezha.payments.selectors import shift_summary
from merezha.payments.services import payment_cancel
from tests.payments.conftest import at

pytestmark = pytest.mark.django_db


def test_shift_summary_splits_cash_and_card_and_leaves_cancelled_payments_out(world, pay):
    pay({"water": "10.00"}, method="cash")
    pay({"sewer": "5.50"}, method="card")
    pay({"heat": "100.00"}, method="card")
    cancelled = pay({"heat": "7.00"}, method="cash")
    payment_cancel(
        payment_id=cancelled.pk, cashier=world.cashiers[0], reason="typo", now=at("2026-11-02", 12)
    )
    s = shift_summary(point_id=world.points[0].pk, day=dt.date(2026, 11, 2))
    assert (s.total, s.cash_total, s.card_total) == (
        Money.parse("115.50"),
        Money.parse("10.00"),
        Money.parse("105.50"),
    )
    empty = shift_summary(point_id=world.points[0].pk, day=dt.date(2026, 11, 3))
    assert (empty.cash_total, empty.card_total) == (Money(0), Money(0))
