"""The rule at its edges: exactly 3 months, exactly the threshold, exemptions, no history, explanation."""

import datetime as dt

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from merezha.core.money import Money
from merezha.subsidies.rule import (
    AccountFigures,
    ExemptionInfo,
    RuleParams,
    Verdict,
    account_overdue,
    month_back,
    verdict_compute,
)

PARAMS = RuleParams(
    id=1,
    valid_from=dt.date(2025, 1, 1),
    months=3,
    threshold=Money.parse("680.00"),
    threshold_large_family=Money.parse("4000.00"),
    exemptions_enabled=True,
)
ON = dt.date(2026, 11, 15)
OCT = dt.date(2026, 10, 1)


def months(*amounts: str | None) -> dict[dt.date, Money | None]:
    """Billed amounts from the latest period (October 2026) backwards."""
    return {month_back(OCT, i): None if a is None else Money.parse(a) for i, a in enumerate(amounts)}


NAMES = {"heat": "Опалення", "water": "Водопостачання", "rent": "Квартплата", "gas": "Газопостачання"}


def acc(debt: str, billed: dict, service="heat", exemption=None, n=1) -> AccountFigures:
    return AccountFigures(
        account_id=n,
        provider_code="TEPLO",
        provider_name="Teplo",
        service_code=service,
        service_name=NAMES.get(service, ""),
        number=f"H-{n}",
        debt=Money.parse(debt),
        latest_period=OCT,
        billed=billed,
        exemption=exemption,
    )


def verdict(*accounts, family="regular", params=PARAMS):
    with translation.override("en"):
        return verdict_compute(accounts=accounts, params=params, application_date=ON, family_type=family)


def test_month_back_crosses_years():
    assert month_back(dt.date(2026, 2, 1), 3) == dt.date(2025, 11, 1)
    assert month_back(dt.date(2026, 1, 1), 0) == dt.date(2026, 1, 1)


def test_debt_of_exactly_three_months_is_not_overdue():
    v = verdict(acc("900.00", months("300.00", "300.00", "300.00", "300.00")))
    a = v.accounts[0]
    assert (a.billed_recent, a.overdue, a.months_in_debt, a.months_beyond_history) == (
        Money.parse("900.00"),
        Money(0),
        3,
        False,
    )
    assert v.status == "clear"


def test_one_kopeck_beyond_three_months_is_overdue():
    assert account_overdue(
        debt=Money.parse("900.01"), latest_period=OCT, billed=months("300", "300", "300", "300"), months=3
    ) == (Money.parse("900.00"), Money.parse("0.01"), 4, False)


def test_overdue_exactly_at_the_threshold_does_not_block():
    v = verdict(acc("1580.00", months("300.00", "300.00", "300.00", "680.00")))
    assert (v.status, v.overdue_total, v.threshold) == ("clear", Money.parse("680.00"), Money.parse("680.00"))


def test_overdue_one_kopeck_over_the_threshold_blocks():
    v = verdict(acc("1580.01", months("300.00", "300.00", "300.00", "680.00", "100.00")))
    assert (v.status, v.blocked, v.overdue_total) == ("blocked", True, Money.parse("680.01"))
    assert v.accounts[0].months_in_debt == 5


def test_overdue_total_adds_up_services():
    v = verdict(
        acc("500.00", months("100", "100", "100", "500"), service="heat", n=1),
        acc("700.00", months("200", "100", "0", "900"), service="water", n=2),
    )
    assert [a.overdue for a in v.accounts] == [Money.parse("200.00"), Money.parse("400.00")]
    assert (v.status, v.overdue_total, v.debt_total) == (
        "clear",
        Money.parse("600.00"),
        Money.parse("1200.00"),
    )
    v = verdict(
        acc("500.00", months("100", "100", "100", "500"), n=1),
        acc("800.01", months("200", "100", "0", "900"), service="water", n=2),
    )
    assert (v.status, v.overdue_total) == ("blocked", Money.parse("700.01"))


def test_large_family_threshold():
    debt = acc("1580.01", months("300", "300", "300", "680.01"))
    assert verdict(debt, family="large").status == "clear"
    assert verdict(debt, family="foster").threshold == Money.parse("4000.00")
    assert verdict(debt, family="family_home").threshold == Money.parse("4000.00")
    big = acc("4900.01", months("300", "300", "300", "4000.01"))
    assert verdict(big, family="large").status == "blocked"


def test_restructuring_recorded_exempts_the_account():
    history = months("300", "300", "300", "5000")
    restructured = ExemptionInfo("restructuring", dt.date(2026, 9, 1), None, "agreement 17")
    v = verdict(acc("5900.00", history, exemption=restructured))
    assert (v.status, v.overdue_total, v.accounts[0].exempt) == ("clear", Money(0), True)
    assert v.accounts[0].overdue == Money.parse("5000.00")  # shown, not counted


def test_exemption_outside_its_dates_does_not_count():
    history = months("300", "300", "300", "5000")
    ended = ExemptionInfo("court", dt.date(2026, 1, 1), dt.date(2026, 11, 14))
    future = ExemptionInfo("court", dt.date(2026, 11, 16), None)
    last_day = ExemptionInfo("court", dt.date(2026, 1, 1), ON)
    assert verdict(acc("5900.00", history, exemption=ended)).status == "blocked"
    assert verdict(acc("5900.00", history, exemption=future)).status == "blocked"
    assert verdict(acc("5900.00", history, exemption=last_day)).status == "clear"


def test_exemptions_switched_off_by_the_parameters():
    params = RuleParams(2, dt.date(2020, 1, 1), 3, Money(68000), Money(400000), exemptions_enabled=False)
    court = ExemptionInfo("court", dt.date(2026, 1, 1), None)
    v = verdict(acc("5900.00", months("300", "300", "300", "5000"), exemption=court), params=params)
    assert (v.status, v.accounts[0].exempt) == ("blocked", False)


def test_no_history_is_insufficient_and_does_not_block():
    v = verdict(acc("5000.00", {}))
    a = v.accounts[0]
    assert (a.overdue, a.billed_recent, a.months_in_debt, a.months_beyond_history) == (None, None, 0, True)
    assert (v.status, v.blocked, v.overdue_total) == ("insufficient_history", False, Money(0))


def test_short_history_or_missing_charges_are_insufficient():
    assert verdict(acc("1000.00", months("300", "300"))).status == "insufficient_history"
    assert verdict(acc("1000.00", months("300", None, "300", "300"))).status == "insufficient_history"


def test_unknown_history_does_not_hide_a_block_elsewhere():
    v = verdict(
        acc("5000.00", {}, n=1), acc("1580.01", months("300", "300", "300", "680.01"), service="water", n=2)
    )
    assert (v.status, v.overdue_total) == ("blocked", Money.parse("680.01"))


def test_no_debt_or_overpayment_needs_no_history():
    v = verdict(acc("0.00", {}, n=1), acc("-120.00", {}, service="water", n=2))
    assert v.status == "clear"
    assert [(a.overdue, a.months_in_debt) for a in v.accounts] == [(Money(0), 0), (Money(0), 0)]


def test_more_months_in_the_parameters():
    params = RuleParams(3, dt.date(2027, 1, 1), 6, Money(68000), Money(400000), True)
    history = months("300", "300", "300", "300", "300", "300", "800")
    assert verdict(acc("2600.00", history), params=params).overdue_total == Money.parse("800.00")
    assert verdict(acc("2600.00", history)).overdue_total == Money.parse("1700.00")


def test_explanation_lists_the_deciding_figures():
    court = ExemptionInfo("court", dt.date(2026, 9, 1), None)
    v = verdict(
        acc("1580.01", months("300.00", "300.00", "300.00", "680.01"), n=1),
        acc("-5.00", {}, service="water", n=2),
        acc("200.00", {}, service="rent", n=3),
        acc("999.00", months("100", "100", "100"), service="gas", n=4, exemption=court),
    )
    assert v.explanation == [
        "Rule in force on 2026-11-15 (parameters from 2025-01-01): debt overdue more than 3 months "
        "blocks when the overdue total exceeds 680.00 (regular family).",
        "heat, Teplo, account H-1: debt 1580.01, charged in the last 3 months 900.00, overdue 680.01; "
        "the debt spans 4 month(s) of charges.",
        "water, Teplo, account H-2: no debt (-5.00).",
        "rent, Teplo, account H-3: debt 200.00; fewer than 3 months of charges in the history, the overdue "
        "part is unknown; there is no charge history.",
        "gas, Teplo, account H-4: debt 999.00, charged in the last 3 months 300.00, overdue 699.00; "
        "the debt is older than the 3 month(s) of history. Not counted: contested in court from 2026-09-01.",
        "Overdue total 680.01 exceeds 680.00: the subsidy is blocked.",
    ]
    assert v.as_dict()["parameters"] == {
        "id": 1,
        "valid_from": "2025-01-01",
        "months": 3,
        "threshold": "680.00",
        "threshold_large_family": "4000.00",
        "exemptions_enabled": True,
    }


def four_accounts():
    court = ExemptionInfo("court", dt.date(2026, 9, 1), None)
    return (
        acc("1580.01", months("300.00", "300.00", "300.00", "680.01"), n=1),
        acc("-5.00", {}, service="water", n=2),
        acc("200.00", {}, service="rent", n=3),
        acc("999.00", months("100", "100", "100"), service="gas", n=4, exemption=court),
    )


def test_readable_explanation_names_services_and_writes_amounts_as_people_read_them():
    v = verdict(*four_accounts())
    with translation.override("en"):
        lines = v.readable_explanation()
    assert lines == [
        "Rule in force on 2026-11-15 (parameters from 2025-01-01): debt overdue more than 3 months "
        "blocks when the overdue total exceeds 680,00 (regular family).",
        "Опалення, Teplo, account H-1: debt 1\u202f580,01, charged in the last 3 months 900,00, "
        "overdue 680,01; the debt spans 4 month(s) of charges.",
        "Водопостачання, Teplo, account H-2: no debt (-5,00).",
        "Квартплата, Teplo, account H-3: debt 200,00; fewer than 3 months of charges in the history, "
        "the overdue part is unknown; there is no charge history.",
        "Газопостачання, Teplo, account H-4: debt 999,00, charged in the last 3 months 300,00, "
        "overdue 699,00; the debt is older than the 3 month(s) of history. Not counted: contested in "
        "court from 2026-09-01.",
        "Overdue total 680,01 exceeds 680,00: the subsidy is blocked.",
    ]
    with translation.override("uk"):
        lines = v.readable_explanation()
    assert lines[1] == (
        "Опалення, Teplo, особовий рахунок H-1: заборгованість 1\u202f580,01, нараховано за останні "
        "3 міс. 900,00, прострочено 680,01; заборгованість охоплює 4 міс. нарахувань."
    )
    assert lines[-1] == "Прострочена заборгованість 680,01 перевищує 680,00: субсидію заблоковано."
    # the API's and the files' explanation keeps codes and the machine form
    assert v.explanation[1].startswith("heat, Teplo, account H-1: debt 1580.01,")


def test_a_service_without_a_name_reads_as_its_code():
    v = verdict(acc("10.00", months("10", "10", "10"), service="lift"))
    with translation.override("en"):
        assert v.readable_explanation()[1].startswith("lift, Teplo, account H-1: debt 10,00,")


def test_verdict_round_trips_through_its_dict():
    """A certificate keeps `as_dict()`; its page is written from the verdict read back."""
    v = verdict(*four_accounts(), family="large")
    back = Verdict.from_dict(v.as_dict(), NAMES)
    assert back == v
    assert [a.service_label for a in back.accounts] == [
        "Опалення",
        "Водопостачання",
        "Квартплата",
        "Газопостачання",
    ]
    assert [a.service_label for a in Verdict.from_dict(v.as_dict()).accounts] == [
        "heat",
        "water",
        "rent",
        "gas",
    ]


def test_insufficient_explanation_summary():
    v = verdict(acc("200.00", {}))
    assert v.explanation[-1] == (
        "Overdue total 0.00 does not exceed 680.00, but 1 account(s) lack the history to tell the "
        "overdue part: a person must decide."
    )


@pytest.mark.parametrize(
    ("debt", "status"), [("900.00", "clear"), ("1580.00", "clear"), ("1580.01", "blocked")]
)
def test_edges_table(debt, status):
    assert verdict(acc(debt, months("300", "300", "300", "680", "1000"))).status == status


amounts = st.integers(min_value=-50_000, max_value=500_000)


@given(debt=st.integers(min_value=-100_000, max_value=5_000_000), history=st.lists(amounts, max_size=8))
def test_overdue_properties(debt, history):
    """0 ≤ overdue ≤ debt; known exactly when the last 3 months are all there; more debt never less overdue."""
    billed = {month_back(OCT, i): Money(a) for i, a in enumerate(history)}
    recent, overdue, _months, _beyond = account_overdue(
        debt=Money(debt), latest_period=OCT, billed=billed, months=3
    )
    if debt <= 0:
        assert overdue == Money(0)
        return
    if len(history) < 3:
        assert (recent, overdue) == (None, None)
        return
    assert recent == Money(sum(history[:3]))
    assert overdue == Money(max(0, debt - sum(history[:3])))
    assert Money(0) <= overdue
    more = account_overdue(debt=Money(debt + 1), latest_period=OCT, billed=billed, months=3)[1]
    assert more is not None and more >= overdue


@given(debts=st.lists(st.integers(min_value=0, max_value=300_000), min_size=1, max_size=6))
def test_blocked_exactly_when_the_overdue_total_exceeds_the_threshold(debts):
    history = months("100.00", "100.00", "100.00", "100.00")  # 300.00 in the last three months
    accounts = [acc(str(Money(d)), history, service=f"s{i}", n=i) for i, d in enumerate(debts)]
    v = verdict(*accounts)
    expected = sum(max(0, d - 30_000) for d in debts)
    assert v.overdue_total == Money(expected)
    assert v.status == ("blocked" if expected > 68_000 else "clear")
