"""The settlement files: camt.053 entries of every documented shape; pain.001 and camt.053 written
by the hub read back by the stdlib parser with the documented paths."""

from __future__ import annotations

import datetime as dt
import io
from xml.etree import ElementTree as ET

import pytest

from merezha.core.money import Money
from merezha.formats.errors import FormatError
from merezha.settlements.files import CreditIn, camt053_read, camt053_write
from tests.settlements.conftest import iban

C = {"c": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"}


def _doc(entries: str) -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        "<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.08'><BkToCstmrStmt>"
        "<GrpHdr><MsgId>M-7</MsgId><CreDtTm>2026-11-03T18:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>1</Id><Acct><Id><IBAN>{iban(1)}</IBAN></Id></Acct>{entries}</Stmt>"
        "</BkToCstmrStmt></Document>"
    ).encode()


def test_batch_entries_debits_and_pending_entries():
    tx = (
        "<TxDtls><Refs><EndToEndId>E{n}</EndToEndId></Refs><Amt Ccy='UAH'>{a}</Amt>"
        "<RltdPties><Dbtr><Pty><Nm>Банк</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>{p}</IBAN></Id></DbtrAcct></RltdPties>"
        "<RmtInf><Ustrd>частина 1</Ustrd><Ustrd>частина 2</Ustrd></RmtInf></TxDtls>"
    )
    data = _doc(
        "<Ntry><Amt Ccy='UAH'>30.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
        "<BookgDt><Dt>2026-11-03</Dt></BookgDt><ValDt><Dt>2026-11-03</Dt></ValDt><NtryDtls>"
        + tx.format(n=1, a="10.00", p=iban(11))
        + tx.format(n=2, a="20.00", p=iban(12))
        + "</NtryDtls></Ntry>"
        "<Ntry><Amt Ccy='UAH'>5.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><ValDt><Dt>2026-11-03</Dt></ValDt></Ntry>"
        "<Ntry><Amt Ccy='UAH'>6.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>PDNG</Cd></Sts><ValDt><Dt>2026-11-03</Dt></ValDt></Ntry>"
    )
    st = camt053_read(io.BytesIO(data))
    assert (st.statement_id, st.skipped_debits) == ("M-7", 2)
    assert [(c.line, c.amount, c.payer_iban, c.payer_name, c.purpose, c.reference) for c in st.credits] == [
        (1, Money.parse("10.00"), iban(11), "Банк", "частина 1 частина 2", "E1"),
        (2, Money.parse("20.00"), iban(12), "Банк", "частина 1 частина 2", "E2"),
    ]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (
            "<Ntry><Amt Ccy='EUR'>1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><ValDt><Dt>2026-11-03</Dt></ValDt></Ntry>",
            "Stmt 1, Ntry 1: Amt: currency 'EUR', only UAH is settled",
        ),
        (
            "<Ntry><Amt Ccy='UAH'>1.005</Amt><CdtDbtInd>CRDT</CdtDbtInd><ValDt><Dt>2026-11-03</Dt></ValDt></Ntry>",
            "Stmt 1, Ntry 1: Amt: not an amount: '1.005'",
        ),
        (
            "<Ntry><Amt Ccy='UAH'>1.00</Amt><CdtDbtInd>X</CdtDbtInd></Ntry>",
            "Stmt 1, Ntry 1: CdtDbtInd must be CRDT or DBIT, not 'X'",
        ),
        (
            "<Ntry><Amt Ccy='UAH'>1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry>",
            "Stmt 1, Ntry 1: ValDt/Dt is missing",
        ),
    ],
)
def test_bad_entries_name_their_element(entry, reason):
    with pytest.raises(FormatError) as exc:
        camt053_read(io.BytesIO(_doc(entry)))
    assert str(exc.value) == reason


def test_broken_xml_names_line_and_column():
    with pytest.raises(FormatError) as exc:
        camt053_read(
            io.BytesIO(b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.08'>\n<a></b>")
        )
    assert str(exc.value) == "line 2, column 5: broken XML: mismatched tag"


def test_camt053_written_reads_back_with_the_documented_paths():
    credit = CreditIn(
        line=1,
        account_iban=iban(3),
        amount=Money.parse("1846.44"),
        value_date=dt.date(2026, 11, 3),
        booking_date=dt.date(2026, 11, 3),
        payer_iban=iban(20),
        payer_name="POST",
        purpose="Оплата за житлово-комунальні послуги згідно реєстру № 1 від 02.11.2026, агент POST",
        reference="MRZ-9",
    )
    buf = io.BytesIO()
    camt053_write(
        buf,
        statement_id="S-1",
        created=dt.datetime(2026, 11, 3, 18, tzinfo=dt.UTC),
        accounts={iban(3): [credit]},
    )
    root = ET.fromstring(buf.getvalue())
    assert root.findtext("c:BkToCstmrStmt/c:GrpHdr/c:MsgId", namespaces=C) == "S-1"
    stmt = root.find("c:BkToCstmrStmt/c:Stmt", C)
    assert stmt.findtext("c:Acct/c:Id/c:IBAN", namespaces=C) == iban(3)
    ntry = stmt.find("c:Ntry", C)
    assert (ntry.findtext("c:Amt", namespaces=C), ntry.find("c:Amt", C).get("Ccy")) == ("1846.44", "UAH")
    assert ntry.findtext("c:CdtDbtInd", namespaces=C) == "CRDT"
    assert ntry.findtext("c:ValDt/c:Dt", namespaces=C) == "2026-11-03"
    tx = ntry.find("c:NtryDtls/c:TxDtls", C)
    assert tx.findtext("c:RltdPties/c:DbtrAcct/c:Id/c:IBAN", namespaces=C) == iban(20)
    assert tx.findtext("c:RmtInf/c:Ustrd", namespaces=C) == credit.purpose
    assert tx.findtext("c:Refs/c:EndToEndId", namespaces=C) == "MRZ-9"
    assert camt053_read(io.BytesIO(buf.getvalue())).credits == [credit]
