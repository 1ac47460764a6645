from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from merezha.core.money import Money, MoneyError


@pytest.mark.parametrize(
    ("text", "kopecks"),
    [
        ("1234.56", 123456),
        ("1 234,56", 123456),
        ("1\u00a0234,56", 123456),
        ("-4,38", -438),
        ("\u22125.00", -500),
        ("+10", 1000),
        ("+1 234,5", 123450),
        ("10.500", 1050),
        ("-7,", -700),
        (",5", 50),
        ("0", 0),
    ],
)
def test_parse(text, kopecks):
    assert Money.parse(text).kopecks == kopecks


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "NaN", "Infinity", "1e20", "1e3", "-", "+-5", "1,2,3"])
def test_parse_refuses(text):
    with pytest.raises(MoneyError, match="not an amount|empty amount|out of range"):
        Money.parse(text)


@pytest.mark.parametrize("text", ["0.005", "-0,005", "10,125", "220.54999999999998", "1 234,567"])
def test_more_than_two_decimal_places_is_refused_not_rounded(text):
    with pytest.raises(MoneyError) as exc:
        Money.parse(text)
    assert str(exc.value) == f"more than two decimal places: {text!r} (the hub does not round amounts)"


def test_str_and_display():
    assert str(Money(-438)) == "-4.38"
    assert str(Money(5)) == "0.05"
    assert Money(123456789).display() == "1\u202f234\u202f567,89"
    assert Money(123456).amount == Decimal("1234.56")


def test_arithmetic_and_sum():
    assert Money(100) + Money(250) - Money(50) == Money(300)
    assert sum([Money(1), Money(2), Money(3)]) == Money(6)
    assert Money.total([Money(1), Money(-2)]) == Money(-1)
    assert -Money(5) == Money(-5)
    assert not Money(0)


@given(st.lists(st.integers(min_value=-(10**12), max_value=10**12), max_size=50))
def test_sum_invariant_matches_decimal(values):
    """The sum of parsed amounts equals the exact decimal sum, whatever the order."""
    texts = [str(Decimal(v) / 100) for v in values]
    total = Money.total(Money.parse(t) for t in texts)
    assert total.amount == sum((Decimal(t) for t in texts), Decimal("0")).quantize(Decimal("0.01"))
    assert Money.total(reversed([Money.parse(t) for t in texts])) == total


@given(st.integers(min_value=-(10**14), max_value=10**14))
def test_round_trip(kopecks):
    assert Money.parse(str(Money(kopecks))) == Money(kopecks)
