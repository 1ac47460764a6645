"""The import's fast amount parser agrees with `Money.parse` on every spelling."""

from __future__ import annotations

import importlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from merezha.core.money import Money, MoneyError

module = importlib.import_module("merezha.providers.snapshot_rows")

SPELLINGS = st.from_regex(r"\A[-+−]?[0-9 ]{0,16}([.,][0-9]{0,4})?([.,][0-9]{0,2})?\Z") | st.text(
    alphabet="0123456789,.-+ −e", max_size=18
)


def outcome(parse, text):
    try:
        return parse(text)
    except MoneyError:
        return "refused"


@given(SPELLINGS)
def test_fast_parser_matches_money_parse(text):
    assert outcome(module._kopecks_parse, text) == outcome(lambda t: Money.parse(t).kopecks, text)


def test_cache_gives_the_same_figures_and_stays_bounded(monkeypatch):
    cache = module._KopecksCache()
    assert [cache[t] for t in ("1501,13", "1501,13", "-4,38", "0")] == [150113, 150113, -438, 0]
    assert cache == {"1501,13": 150113, "-4,38": -438, "0": 0}
    with pytest.raises(MoneyError):
        cache["12 гривень"]
    monkeypatch.setattr(module, "_KOPECKS_CACHE_SIZE", 3)
    assert cache["7,00"] == 700 and "7,00" not in cache and len(cache) == 3


PLAIN = st.from_regex(r"\A-?[0-9]{1,14}[.,][0-9]{2}\Z|\A0\Z") | SPELLINGS


@given(st.lists(PLAIN, min_size=7, max_size=7))
def test_plain_amounts_agree_with_money_parse(texts):
    """The row's fast path takes seven plain amounts at once; any other spelling goes one by one."""
    plain = module._plain_kopecks(texts)
    if plain is not None:
        assert plain == [Money.parse(t).kopecks for t in texts]


def test_plain_amounts_of_a_row():
    assert module._plain_kopecks(["951,09", "165.43", "0", "0,00", "-0,05", "1178,31", "-61,79"]) == [
        95109, 16543, 0, 0, -5, 117831, -6179
    ]  # fmt: skip
    for odd in ("", "15", "1 234,56", "+1,00", "−1,00", "1,5", "-0", "12345678901234,00", "١,٠٠"):
        assert module._plain_kopecks(["1,00"] * 6 + [odd]) is None
