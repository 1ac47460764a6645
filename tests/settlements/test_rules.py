"""The settlement rules: commission rounding, banking days, purposes, IBANs."""

from __future__ import annotations

from merezha.core.money import Money


def test_commission_rounds_half_up_exactly():
    from merezha.settlements.rules import commission_of

    assert commission_of(subtotal=Money.parse("1.00"), bp=50) == Money(1)  # 0.5 kopeck → 1
    assert commission_of(subtotal=Money.parse("0.99"), bp=50) == Money(0)  # 0.495 → 0
    assert commission_of(subtotal=Money.parse("1874.56"), bp=150) == Money.parse("28.12")  # 28.1184
    assert commission_of(subtotal=Money.parse("8.78"), bp=150) == Money.parse("0.13")  # 0.1317
    assert commission_of(subtotal=Money.parse("110.00"), bp=150) == Money.parse("1.65")
    assert commission_of(subtotal=Money.parse("123.45"), bp=0) == Money(0)


def test_purpose_numbers_tolerate_a_cut():
    from merezha.settlements.rules import purpose_numbers

    assert purpose_numbers("згідно реєстрів № 15, 16 від 07.12.2026") == ({15, 16}, "")
    cut = ("x" * 137) + "№ 1"
    assert len(cut) == 140 and purpose_numbers(cut) == (set(), "1")


def test_banking_days_skip_weekends():
    import datetime as dt

    from merezha.settlements.rules import banking_days_after

    assert banking_days_after(dt.date(2026, 11, 6), 2) == dt.date(2026, 11, 10)  # Fri → Tue
    assert banking_days_after(dt.date(2026, 11, 2), 2) == dt.date(2026, 11, 4)  # Mon → Wed


def test_purposes_are_cut_at_140():
    import datetime as dt

    from merezha.settlements.rules import purpose_for

    many = purpose_for(register_number=15, day=dt.date(2026, 12, 7), points=[f"P{i:03d}" for i in range(30)])
    assert len(many) == 140 and many.startswith(
        "Оплата за житлово-комунальні послуги згідно реєстру № 15 від 07.12.2026, пункти P000, P001"
    )


def test_iban_normal():
    from merezha.settlements.rules import iban_normal

    assert iban_normal("ua21 3223 1300 0002 6007 2335 6600 1") == "UA213223130000026007233566001"
    assert iban_normal("UA213223130000026007233566002") == ""  # bad check digits
    assert iban_normal("") == ""
