"""Settlement orders at day close, statement import and matching (issue #19 done-when)."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from merezha.core.money import Money
from tests.settlements.conftest import DAY, iban, take

NS_CAMT = "{urn:iso:std:iso:20022:tech:xsd:camt.053.001.08}"
LATER = DAY + dt.timedelta(days=30)


def _orders():
    from merezha.settlements.models import SettlementOrder

    return {
        (o.provider.code, o.payer.code, o.payee_iban): o
        for o in SettlementOrder.objects.select_related("provider", "payer")
    }


def test_day_close_issues_orders_per_payer_and_payee_iban(city, closed_day):
    orders = _orders()  # numbered per provider by payer code, then payee IBAN (sewer's sorts first)
    water, sewer, heat = city.ibans["VODA:water"], city.ibans["VODA:sewer"], city.ibans["TEPLO:heat"]
    got = {
        k: (o.number, str(o.subtotal), str(o.commission), str(o.amount), o.points) for k, o in orders.items()
    }
    assert got == {
        ("VODA", "P001", water): (2, "100.00", "0.00", "100.00", ["P001"]),
        ("VODA", "P001", sewer): (1, "50.00", "0.00", "50.00", ["P001"]),
        ("VODA", "P002", water): (4, "200.10", "0.00", "200.10", ["P002"]),
        ("VODA", "P002", sewer): (3, "20.20", "0.00", "20.20", ["P002"]),
        ("VODA", "POST", water): (6, "110.00", "1.65", "108.35", ["P003", "P004"]),
        ("VODA", "POST", sewer): (5, "8.78", "0.13", "8.65", ["P003", "P004"]),
        ("TEPLO", "P001", heat): (1, "1000.00", "0.00", "1000.00", ["P001"]),
        ("TEPLO", "P002", heat): (2, "333.33", "0.00", "333.33", ["P002"]),
        ("TEPLO", "POST", heat): (3, "1874.56", "28.12", "1846.44", ["P003", "P004"]),
    }
    p1 = orders[("VODA", "P001", water)]
    assert p1.payer_iban == city.points["P001"].iban
    assert orders[("VODA", "POST", water)].payer_iban == city.operators["POST"].iban
    assert p1.purpose == "Оплата за житлово-комунальні послуги згідно реєстру № 1 від 02.11.2026, пункт P001"
    assert orders[("TEPLO", "POST", heat)].purpose.endswith("№ 1 від 02.11.2026, агент POST")
    # the orders add up to the registers (less commission)
    from merezha.registers.models import Register

    for reg in Register.objects.all():
        mine = [o for o in orders.values() if o.register_id == reg.pk]
        assert Money.total(o.subtotal for o in mine) == reg.total


def test_orders_issue_is_idempotent(city, closed_day):
    from merezha.settlements.models import SettlementOrder
    from merezha.settlements.services import settlement_orders_issue

    before = list(SettlementOrder.objects.order_by("pk").values())
    assert settlement_orders_issue(day=DAY) == []
    assert list(SettlementOrder.objects.order_by("pk").values()) == before


def _statement_from_orders(city, *, drop, short, extra_payer):
    """A camt.053 crediting every exported order (read back from the pain.001) the next day,
    without `drop`, with `short` 0.01 short, plus one credit nobody ordered."""
    from xml.etree import ElementTree as ET

    from merezha.settlements.files import CreditIn, camt053_write, pain001_write
    from merezha.settlements.selectors import order_rows, settlement_orders

    buf = io.BytesIO()
    pain001_write(
        buf,
        message_id="T-1",
        orders=order_rows(orders=settlement_orders(day=DAY)),
        created=dt.datetime(2026, 11, 3, 9, tzinfo=dt.UTC),
        execution=DAY + dt.timedelta(days=1),
    )
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
    root = ET.fromstring(buf.getvalue())
    accounts: dict[str, list] = {}
    n = 0
    for pmt in root.findall("p:CstmrCdtTrfInitn/p:PmtInf", ns):
        payer = pmt.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=ns)
        for tx in pmt.findall("p:CdtTrfTxInf", ns):
            e2e = tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns)
            if e2e == drop:
                continue
            amount = Money.parse(tx.findtext("p:Amt/p:InstdAmt", namespaces=ns))
            if e2e == short:
                amount -= Money(1)
            n += 1
            payee = tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=ns)
            accounts.setdefault(payee, []).append(
                CreditIn(
                    line=n,
                    account_iban=payee,
                    amount=amount,
                    value_date=DAY + dt.timedelta(days=1),
                    booking_date=DAY + dt.timedelta(days=1),
                    payer_iban=payer,
                    payer_name="Платник",
                    purpose=tx.findtext("p:RmtInf/p:Ustrd", namespaces=ns),
                    reference=e2e,
                )
            )
    heat = city.ibans["TEPLO:heat"]
    accounts[heat].append(
        CreditIn(
            line=n + 1,
            account_iban=heat,
            amount=Money.parse("77.00"),
            value_date=DAY + dt.timedelta(days=1),
            booking_date=None,
            payer_iban=extra_payer,
            payer_name="Хтось",
            purpose="Повернення коштів",
            reference="",
        )
    )
    out = io.BytesIO()
    camt053_write(
        out,
        statement_id="STMT-20261103",
        created=dt.datetime(2026, 11, 3, 18, tzinfo=dt.UTC),
        accounts=accounts,
    )
    return out.getvalue()


def test_statement_with_a_missing_a_short_and_an_unexpected_credit(city, closed_day):
    from merezha.settlements.models import BankCredit, SettlementMatch
    from merezha.settlements.selectors import order_states, settlement_orders, settlement_reconciliation
    from merezha.settlements.services import statement_import

    orders = _orders()
    missing = orders[("VODA", "P002", city.ibans["VODA:sewer"])]
    short = orders[("TEPLO", "POST", city.ibans["TEPLO:heat"])]
    data = _statement_from_orders(
        city, drop=missing.end_to_end_id, short=short.end_to_end_id, extra_payer=iban(99)
    )
    result = statement_import(data=data, name="stmt.xml")
    assert (result.created, result.matched, result.unexpected) == (True, 8, 1)  # 9 orders, one not paid
    states = {s.order.pk: s for s in order_states(orders=settlement_orders(day=DAY), today=LATER)}
    assert {k: s.status for k, s in states.items() if s.status != "matched"} == {
        missing.pk: "missing",
        short.pk: "partial",
    }
    assert states[short.pk].paid == short.amount - Money(1)
    assert sum(1 for s in states.values() if s.status == "matched") == 7
    rec = settlement_reconciliation(day=DAY, today=LATER)
    assert [(c.amount, c.payer_iban) for c in rec.unexpected] == [(Money.parse("77.00"), iban(99))]
    # before the due day the unpaid order is only pending
    assert order_states(orders=[missing], today=DAY + dt.timedelta(days=1))[0].status == "pending"

    counts = (BankCredit.objects.count(), SettlementMatch.objects.count())
    again = statement_import(data=data, name="stmt.xml")
    assert again.created is False and again.statement.pk == result.statement.pk
    assert (BankCredit.objects.count(), SettlementMatch.objects.count()) == counts


def test_a_transfer_merging_two_days_and_a_purpose_cut_at_140(city, closed_day):
    """P001 pays its water of two days in one transfer whose purpose names both registers, cut."""
    from merezha.registers.services import days_close
    from merezha.settlements.files import CreditIn, statement_csv_write
    from merezha.settlements.selectors import order_states, settlement_orders
    from merezha.settlements.services import statement_import

    day2 = DAY + dt.timedelta(days=1)
    take(city, "P001", "water", "25.50", day=day2)
    days_close(day=day2)
    water = city.ibans["VODA:water"]
    o1 = next(o for o in settlement_orders(day=DAY) if o.payee_iban == water and o.payer.code == "P001")
    o2 = next(o for o in settlement_orders(day=day2) if o.payee_iban == water)
    assert (o1.register_number, o1.amount) == (1, Money.parse("100.00"))
    assert (o2.register_number, o2.amount) == (2, Money.parse("25.50"))
    purpose = (o1.purpose + "; " + o2.purpose)[:140]  # the bank cut the second purpose
    assert purpose.endswith("реєстру № 2 ")
    buf = io.StringIO()
    statement_csv_write(
        buf,
        statement_id="CSV-1",
        credits=[
            CreditIn(
                line=1,
                account_iban=water,
                amount=Money.parse("125.50"),
                value_date=day2 + dt.timedelta(days=1),
                booking_date=None,
                payer_iban=city.points["P001"].iban,
                payer_name="P001",
                purpose=purpose,
                reference="",
            )
        ],
    )
    result = statement_import(data=buf.getvalue().encode(), name="s.csv")
    assert (result.matched, result.unexpected) == (1, 0)
    states = {s.order.pk: (s.status, s.paid) for s in order_states(orders=[o1, o2], today=LATER)}
    assert states == {o1.pk: ("matched", o1.amount), o2.pk: ("matched", o2.amount)}
    from merezha.settlements.models import SettlementMatch

    assert sorted(SettlementMatch.objects.values_list("order_id", "rule")) == [
        (o1.pk, "reference"),
        (o2.pk, "reference"),
    ]


def test_a_credit_without_a_register_number_matches_by_amount(city, closed_day):
    from merezha.settlements.models import SettlementMatch
    from merezha.settlements.services import statement_import

    o = _orders()[("TEPLO", "P002", city.ibans["TEPLO:heat"])]
    csv = (
        "statement_id;account_iban;value_date;amount;payer_iban;purpose\r\n"
        f"N-1;{o.payee_iban};2026-11-04;333.33;{o.payer_iban};за комунальні послуги\r\n"
        f"N-1;{o.payee_iban};2026-11-01;1000.00;{city.points['P001'].iban};valued before the day: not its order\r\n"
    )
    result = statement_import(data=csv.encode())
    assert (result.matched, result.unexpected) == (1, 1)
    assert list(SettlementMatch.objects.values_list("order_id", "rule")) == [(o.pk, "amount")]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Document/>',
            "a document type or entity declaration (<!DOCTYPE) is refused",
        ),
        (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.08'><BkToCstmrStmt>", "broken XML"),
        (b"<Document xmlns='urn:other'/>", "not a camt.053 statement"),
        (
            b"statement_id;account_iban\r\nS;UA1\r\n",
            "line 1: missing column(s): value_date, amount, payer_iban, purpose",
        ),
    ],
)
def test_bad_statements_are_refused_and_change_nothing(db, data, reason):
    from merezha.settlements.models import BankStatement
    from merezha.settlements.services import SettlementError, statement_import

    with pytest.raises(SettlementError) as exc:
        statement_import(data=data, name="x")
    assert reason in str(exc.value)
    assert BankStatement.objects.count() == 0


def test_a_bad_entry_names_its_element(db):
    from merezha.settlements.services import SettlementError, statement_import

    data = (
        "<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.08'><BkToCstmrStmt>"
        "<GrpHdr><MsgId>M1</MsgId></GrpHdr><Stmt><Id>1</Id><Acct><Id><IBAN>" + iban(1) + "</IBAN></Id></Acct>"
        "<Ntry><Amt Ccy='UAH'>10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
        "<ValDt><Dt>2026-13-01</Dt></ValDt></Ntry></Stmt></BkToCstmrStmt></Document>"
    ).encode()
    with pytest.raises(SettlementError) as exc:
        statement_import(data=data)
    assert str(exc.value) == "Stmt 1, Ntry 1: ValDt/Dt: not a date: '2026-13-01'"


def test_same_statement_id_with_other_content_is_refused(city, closed_day):
    from merezha.settlements.services import SettlementError, statement_import

    a = f"statement_id;account_iban;value_date;amount;payer_iban;purpose\r\nS1;{iban(1)};2026-11-03;1.00;{iban(5)};x\r\n"
    statement_import(data=a.encode())
    with pytest.raises(SettlementError) as exc:
        statement_import(data=a.replace("1.00", "2.00").encode())
    assert str(exc.value) == "statement 'S1' was imported already with other content"


def test_a_provider_imports_only_credits_to_its_own_accounts(city, closed_day):
    from merezha.settlements.services import SettlementError, statement_import

    a = f"statement_id;account_iban;value_date;amount;payer_iban;purpose\r\nS1;{city.ibans['TEPLO:heat']};2026-11-03;1.00;{iban(5)};x\r\n"
    with pytest.raises(SettlementError) as exc:
        statement_import(data=a.encode(), user=city.users["VODA"])
    assert "not yours" in str(exc.value)
    assert statement_import(data=a.encode(), user=city.users["TEPLO"]).created


def test_days_closed_without_the_hook_get_their_orders_later(city, settings):
    from merezha.settlements.models import SettlementOrder
    from merezha.settlements.selectors import settlement_status_by_provider
    from merezha.settlements.services import settlement_orders_issue

    settings.MEREZHA_AFTER_REGISTERS = []
    from merezha.registers.services import days_close

    take(city, "P001", "heat", "12.34", day=DAY)
    days_close(day=DAY)
    assert SettlementOrder.objects.count() == 0
    issued = settlement_orders_issue(day=DAY)
    assert [(o.provider.code, o.number, str(o.amount)) for o in issued] == [("TEPLO", 1, "12.34")]
    assert settlement_orders_issue(day=DAY) == []
    assert settlement_status_by_provider(day=DAY, today=LATER) == {
        "TEPLO": {"matched": 0, "partial": 0, "missing": 1, "pending": 0}
    }


def test_a_row_is_in_order_once_acknowledged_and_credited(city, closed_day):
    from merezha.registers.models import Register
    from merezha.registers.services import register_acknowledge
    from merezha.settlements.selectors import settlement_reconciliation
    from merezha.settlements.services import statement_import

    heat = city.ibans["TEPLO:heat"]
    csv = (
        "statement_id;account_iban;value_date;amount;payer_iban;purpose\r\n"
        f"A-1;{heat};2026-11-03;1000.00;{iban(11)};згідно реєстру № 1 від 02.11.2026, пункт P001\r\n"
    )
    statement_import(data=csv.encode())

    def p001():
        rec = settlement_reconciliation(day=DAY, provider=city.providers["TEPLO"], today=LATER)
        return next(r for r in rec.rows if r.payer == "P001")

    row = p001()
    assert (row.acknowledged, row.status, row.ok, row.problem) == ("delivered", "matched", False, False)
    register_acknowledge(
        register=Register.objects.get(provider=city.providers["TEPLO"]), user=city.users["TEPLO"]
    )
    row = p001()
    assert (row.takings, row.registered, row.ordered, row.credited) == (Money.parse("1000.00"),) * 4
    assert (row.acknowledged, row.status, row.ok) == ("acknowledged", "matched", True)
