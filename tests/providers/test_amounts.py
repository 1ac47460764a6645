"""The import's fast amount parser agrees with `Money.parse` on every spelling."""

from __future__ import annotations

import importlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from merezha.core.money import Money, MoneyError

module = importlib.import_module("merezha.providers.services.snapshot_import")

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
