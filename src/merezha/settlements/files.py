"""Settlement files (docs/reference/settlement-files.md): orders out as ISO 20022 pain.001.001.09
XML and CSV, bank statements in as ISO 20022 camt.053.001.08 XML and CSV.

The XML is written with `xml.etree.ElementTree` and read with a pull parser, entry by entry, so a
statement of any size is read in constant memory. A document type declaration (`<!DOCTYPE`, and so
any entity) is refused before it reaches the parser: a bank statement has no use for one.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO
from xml.etree import ElementTree as ET

from merezha.core.money import Money, MoneyError
from merezha.formats.errors import FormatError
from merezha.formats.readers import open_table
from merezha.formats.writers import Column, write_csv

PAIN_NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
CURRENCY = "UAH"


@dataclass(frozen=True)
class OrderRow:
    """What a settlement order file needs of one order."""

    number: int
    end_to_end_id: str
    provider: str
    operational_day: dt.date
    register_number: int
    payer_code: str
    payer_name: str
    payer_iban: str
    payee_name: str
    payee_edrpou: str
    payee_iban: str
    amount: Money
    subtotal: Money
    commission: Money
    purpose: str


@dataclass(frozen=True)
class CreditIn:
    """One incoming credit read from a statement."""

    line: int  # the entry's position in the statement (1, 2, 3…), or the CSV line
    account_iban: str
    amount: Money
    value_date: dt.date
    booking_date: dt.date | None
    payer_iban: str
    payer_name: str
    purpose: str
    reference: str


@dataclass
class StatementIn:
    statement_id: str
    credits: list[CreditIn]
    skipped_debits: int = 0


# --- pain.001 ---------------------------------------------------------------------------------
def _sub(parent: ET.Element, path: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = parent
    for tag in path.split("/"):
        node = ET.SubElement(node, tag)
    node.attrib.update(attrs)
    if text is not None:
        node.text = text
    return node


def pain001_write(
    fh: IO[bytes], *, message_id: str, orders: Sequence[OrderRow], created: dt.datetime, execution: dt.date
) -> int:
    """Write the orders as one pain.001.001.09 message: a PmtInf per payer account, a CdtTrfTxInf
    per order. Returns the number of transactions."""
    ET.register_namespace("", PAIN_NS)
    root = ET.Element("Document", xmlns=PAIN_NS)
    init = ET.SubElement(root, "CstmrCdtTrfInitn")
    hdr = ET.SubElement(init, "GrpHdr")
    _sub(hdr, "MsgId", message_id[:35])
    _sub(hdr, "CreDtTm", created.replace(microsecond=0).isoformat())
    _sub(hdr, "NbOfTxs", str(len(orders)))
    _sub(hdr, "CtrlSum", str(Money.total(o.amount for o in orders)))
    _sub(hdr, "InitgPty/Nm", "Merezha")
    by_payer: dict[str, list[OrderRow]] = {}
    for o in orders:
        by_payer.setdefault(o.payer_iban, []).append(o)
    for k, (iban, group) in enumerate(sorted(by_payer.items()), start=1):
        pmt = ET.SubElement(init, "PmtInf")
        _sub(pmt, "PmtInfId", f"{message_id[:30]}-{k}")
        _sub(pmt, "PmtMtd", "TRF")
        _sub(pmt, "NbOfTxs", str(len(group)))
        _sub(pmt, "CtrlSum", str(Money.total(o.amount for o in group)))
        _sub(pmt, "ReqdExctnDt/Dt", execution.isoformat())
        _sub(pmt, "Dbtr/Nm", group[0].payer_name[:140])
        _sub(pmt, "DbtrAcct/Id/IBAN", iban)
        _sub(pmt, "DbtrAgt/FinInstnId/Othr/Id", "NOTPROVIDED")
        for o in group:
            tx = ET.SubElement(pmt, "CdtTrfTxInf")
            _sub(tx, "PmtId/InstrId", f"{o.provider}-{o.number}"[:35])
            _sub(tx, "PmtId/EndToEndId", o.end_to_end_id)
            _sub(tx, "Amt/InstdAmt", str(o.amount), Ccy=CURRENCY)
            cdtr = _sub(tx, "Cdtr")
            _sub(cdtr, "Nm", o.payee_name[:140])
            if o.payee_edrpou:
                _sub(cdtr, "Id/OrgId/Othr/Id", o.payee_edrpou)
            _sub(tx, "CdtrAcct/Id/IBAN", o.payee_iban)
            _sub(tx, "RmtInf/Ustrd", o.purpose[:140])
    ET.ElementTree(root).write(fh, encoding="utf-8", xml_declaration=True)
    return len(orders)


ORDER_COLUMNS = [
    Column("number"),
    Column("end_to_end_id"),
    Column("provider"),
    Column("operational_day"),
    Column("register"),
    Column("payer"),
    Column("payer_iban"),
    Column("payee_name"),
    Column("payee_edrpou"),
    Column("payee_iban"),
    Column("subtotal"),
    Column("commission"),
    Column("amount"),
    Column("currency"),
    Column("purpose"),
]


def orders_csv_write(path: str, *, orders: Iterable[OrderRow]) -> int:
    """The orders as CSV for a bank's client software (UTF-8, `;`, CRLF, amounts `1234.56`)."""
    return write_csv(
        path,
        ORDER_COLUMNS,
        (
            (
                o.number,
                o.end_to_end_id,
                o.provider,
                o.operational_day,
                o.register_number,
                o.payer_code,
                o.payer_iban,
                o.payee_name,
                o.payee_edrpou,
                o.payee_iban,
                o.subtotal,
                o.commission,
                o.amount,
                CURRENCY,
                o.purpose,
            )
            for o in orders
        ),
    )


# --- camt.053 -----------------------------------------------------------------------------------
_FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY")
_CHUNK = 1 << 16


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(node: ET.Element, path: str) -> ET.Element | None:
    """The first descendant along `path` (local names, `/`-separated), whatever the namespace."""
    current = [node]
    for step in path.split("/"):
        current = [c for n in current for c in n if _local(c.tag) == step]
        if not current:
            return None
    return current[0]


def _text(node: ET.Element, path: str) -> str:
    found = _find(node, path)
    return (found.text or "").strip() if found is not None else ""


def _xml_chunks(fh: IO[bytes]) -> Iterator[bytes]:
    """The file in chunks, refusing a UTF-16/32 file and any DOCTYPE or ENTITY declaration."""
    tail = b""
    first = True
    while chunk := fh.read(_CHUNK):
        if first:
            if chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or chunk[:1] == b"\x00" or chunk[1:2] == b"\x00":
                raise FormatError("the statement must be UTF-8 XML (UTF-16 is refused)")
            first = False
        window = tail + chunk
        for bad in _FORBIDDEN:
            if bad in window:
                raise FormatError(f"a document type or entity declaration ({bad.decode()}) is refused")
        tail = window[-16:]
        yield chunk


def _date(text: str, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise FormatError(f"{where}: not a date: {text!r}") from None


def _amount(text: str, where: str) -> Money:
    try:
        value = Money.parse(text)
    except (MoneyError, ValueError):
        raise FormatError(f"{where}: not an amount: {text!r}") from None
    if not value.is_positive():
        raise FormatError(f"{where}: the amount must be positive: {text!r}")
    return value


def camt053_read(fh: IO[bytes]) -> StatementIn:
    """Read the booked credits of a camt.053.001.08 statement (see the reference for the paths).

    Raises FormatError naming the element (Stmt n, Ntry n, path) or the line and column of broken XML.
    """
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    stmt = StatementIn(statement_id="", credits=[])
    root_seen = False
    stmt_no = entry_no = 0
    account = ""
    depth_path: list[str] = []
    try:
        for chunk in _xml_chunks(fh):
            parser.feed(chunk)
            for ev in parser.read_events():
                event, elem = ev  # type: ignore[misc]  # start/end events are (event, element)
                assert isinstance(elem, ET.Element)  # start/end events give elements
                name = _local(elem.tag)
                if event == "start":
                    depth_path.append(name)
                    if not root_seen:
                        root_seen = True
                        ns = elem.tag[1:].split("}")[0] if elem.tag.startswith("{") else ""
                        if name != "Document" or not ns.startswith(
                            "urn:iso:std:iso:20022:tech:xsd:camt.053."
                        ):
                            raise FormatError(
                                f"not a camt.053 statement: root element {name!r} in namespace {ns!r}"
                            )
                    elif name == "Stmt":
                        stmt_no += 1
                        entry_no = 0
                        account = ""
                    continue
                depth_path.pop()
                if name == "MsgId" and depth_path[-2:] == ["BkToCstmrStmt", "GrpHdr"]:
                    stmt.statement_id = (elem.text or "").strip()
                elif name == "Acct" and depth_path[-1:] == ["Stmt"]:
                    account = _text(elem, "Id/IBAN").replace(" ", "").upper()
                    if not account:
                        raise FormatError(f"Stmt {stmt_no}: Acct/Id/IBAN is missing")
                elif name == "Ntry" and depth_path[-1:] == ["Stmt"]:
                    entry_no += 1
                    _entry(stmt, elem, account, f"Stmt {stmt_no}, Ntry {entry_no}")
                    elem.clear()
                elif name == "Stmt":
                    elem.clear()
        parser.close()
    except ET.ParseError as exc:
        line, column = exc.position
        raise FormatError(f"broken XML: {str(exc).split(':')[0]}", line=line, column=str(column)) from None
    if not root_seen:
        raise FormatError("the file is empty")
    if not stmt.statement_id:
        raise FormatError("BkToCstmrStmt/GrpHdr/MsgId is missing: the statement has no id")
    if stmt_no == 0:
        raise FormatError("the statement has no Stmt element")
    return stmt


def _entry(stmt: StatementIn, ntry: ET.Element, account: str, where: str) -> None:
    if not account:
        raise FormatError(f"{where}: Acct/Id/IBAN must come before the entries")
    indicator = _text(ntry, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        raise FormatError(f"{where}: CdtDbtInd must be CRDT or DBIT, not {indicator!r}")
    status = _text(ntry, "Sts/Cd") or _text(ntry, "Sts")
    if indicator == "DBIT" or status not in ("BOOK", ""):
        stmt.skipped_debits += 1
        return
    amt = _find(ntry, "Amt")
    if amt is None:
        raise FormatError(f"{where}: Amt is missing")
    if amt.get("Ccy", CURRENCY) != CURRENCY:
        raise FormatError(f"{where}: Amt: currency {amt.get('Ccy')!r}, only UAH is settled")
    entry_amount = _amount((amt.text or "").strip(), f"{where}: Amt")
    value_text = _text(ntry, "ValDt/Dt") or _text(ntry, "ValDt/DtTm")
    if not value_text:
        raise FormatError(f"{where}: ValDt/Dt is missing")
    value_date = _date(value_text, f"{where}: ValDt/Dt")
    booking_text = _text(ntry, "BookgDt/Dt") or _text(ntry, "BookgDt/DtTm")
    booking = _date(booking_text, f"{where}: BookgDt/Dt") if booking_text else None
    entry_ref = _text(ntry, "AcctSvcrRef")
    details = [
        tx for dtl in ntry if _local(dtl.tag) == "NtryDtls" for tx in dtl if _local(tx.tag) == "TxDtls"
    ]
    if not details:
        details = [ET.Element("TxDtls")]
    if len(details) > 1:
        amounts = []
        for k, tx in enumerate(details, start=1):
            text = _text(tx, "Amt") or _text(tx, "AmtDtls/TxAmt/Amt")
            if not text:
                raise FormatError(f"{where}: TxDtls {k}: Amt is missing in a batch entry")
            amounts.append(_amount(text, f"{where}: TxDtls {k}: Amt"))
        if Money.total(amounts) != entry_amount:
            raise FormatError(f"{where}: the TxDtls amounts do not add up to the entry's Amt {entry_amount}")
    else:
        amounts = [entry_amount]
    for tx, amount in zip(details, amounts, strict=True):
        purpose = " ".join(
            (u.text or "").strip()
            for r in tx
            if _local(r.tag) == "RmtInf"
            for u in r
            if _local(u.tag) == "Ustrd"
        )
        payer_iban = _text(tx, "RltdPties/DbtrAcct/Id/IBAN").replace(" ", "").upper()
        payer_name = _text(tx, "RltdPties/Dbtr/Pty/Nm") or _text(tx, "RltdPties/Dbtr/Nm")
        stmt.credits.append(
            CreditIn(
                line=len(stmt.credits) + 1,
                account_iban=account,
                amount=amount,
                value_date=value_date,
                booking_date=booking,
                payer_iban=payer_iban,
                payer_name=payer_name[:140],
                purpose=purpose[:500],
                reference=(_text(tx, "Refs/EndToEndId") or _text(tx, "Refs/AcctSvcrRef") or entry_ref)[:64],
            )
        )


def camt053_write(
    fh: IO[bytes], *, statement_id: str, created: dt.datetime, accounts: dict[str, list[CreditIn]]
) -> None:
    """Write credits as a camt.053.001.08 statement, a Stmt per account (used by tests, the bench and demos)."""
    ET.register_namespace("", CAMT_NS)
    root = ET.Element("Document", xmlns=CAMT_NS)
    body = ET.SubElement(root, "BkToCstmrStmt")
    _sub(body, "GrpHdr/MsgId", statement_id)
    body.find("GrpHdr").append(_el("CreDtTm", created.replace(microsecond=0).isoformat()))  # type: ignore[union-attr]
    for k, (iban, credits) in enumerate(sorted(accounts.items()), start=1):
        st = ET.SubElement(body, "Stmt")
        _sub(st, "Id", f"{statement_id}-{k}"[:35])
        _sub(st, "CreDtTm", created.replace(microsecond=0).isoformat())
        _sub(st, "Acct/Id/IBAN", iban)
        for c in credits:
            n = ET.SubElement(st, "Ntry")
            _sub(n, "Amt", str(c.amount), Ccy=CURRENCY)
            _sub(n, "CdtDbtInd", "CRDT")
            _sub(n, "Sts/Cd", "BOOK")
            _sub(n, "BookgDt/Dt", (c.booking_date or c.value_date).isoformat())
            _sub(n, "ValDt/Dt", c.value_date.isoformat())
            _sub(n, "AcctSvcrRef", c.reference or f"{statement_id}-{c.line}")
            _sub(n, "BkTxCd/Prtry/Cd", "TRF")
            tx = _sub(n, "NtryDtls/TxDtls")
            if c.reference:
                _sub(tx, "Refs/EndToEndId", c.reference)
            parties = _sub(tx, "RltdPties")
            _sub(parties, "Dbtr/Pty/Nm", c.payer_name or "NOTPROVIDED")
            _sub(parties, "DbtrAcct/Id/IBAN", c.payer_iban)
            _sub(tx, "RmtInf/Ustrd", c.purpose[:140])
    ET.ElementTree(root).write(fh, encoding="utf-8", xml_declaration=True)


def _el(tag: str, text: str) -> ET.Element:
    node = ET.Element(tag)
    node.text = text
    return node


# --- CSV statement -----------------------------------------------------------------------------
STATEMENT_COLUMNS = (
    "statement_id",
    "account_iban",
    "value_date",
    "booking_date",
    "amount",
    "payer_iban",
    "payer_name",
    "purpose",
    "reference",
)
_REQUIRED = ("statement_id", "account_iban", "value_date", "amount", "payer_iban", "purpose")


def statement_csv_read(fh: IO[bytes], *, name: str = "statement.csv") -> StatementIn:
    """Read a CSV statement (columns in the reference). A negative amount is a debit and is skipped."""
    stmt = StatementIn(statement_id="", credits=[])
    with open_table(fh, name=name) as table:
        if table.format != "csv":
            raise FormatError(f"a CSV statement was expected, not {table.format}")
        missing = [c for c in _REQUIRED if c not in table.columns]
        if missing:
            raise FormatError(f"missing column(s): {', '.join(missing)}", line=table.header_line)
        for line, row in table.rows:
            sid = row.get("statement_id", "").strip()
            if not sid:
                raise FormatError("statement_id is empty", line=line, column="statement_id")
            if stmt.statement_id and sid != stmt.statement_id:
                raise FormatError(
                    f"one statement per file: {sid!r} after {stmt.statement_id!r}",
                    line=line,
                    column="statement_id",
                )
            stmt.statement_id = sid
            text = row.get("amount", "").strip()
            try:
                amount = Money.parse(text)
            except (MoneyError, ValueError):
                raise FormatError(f"not an amount: {text!r}", line=line, column="amount") from None
            if amount.is_negative():
                stmt.skipped_debits += 1
                continue
            if not amount.is_positive():
                raise FormatError("the amount is zero", line=line, column="amount")
            account = row.get("account_iban", "").replace(" ", "").upper()
            if not account:
                raise FormatError("account_iban is empty", line=line, column="account_iban")
            dates: dict[str, dt.date | None] = {}
            for col in ("value_date", "booking_date"):
                raw = row.get(col, "").strip()
                if not raw:
                    if col == "value_date":
                        raise FormatError("value_date is empty", line=line, column=col)
                    dates[col] = None
                    continue
                try:
                    dates[col] = _csv_date(raw)
                except ValueError:
                    raise FormatError(f"not a date: {raw!r}", line=line, column=col) from None
            stmt.credits.append(
                CreditIn(
                    line=line,
                    account_iban=account,
                    amount=amount,
                    value_date=dates["value_date"] or dt.date.min,
                    booking_date=dates["booking_date"],
                    payer_iban=row.get("payer_iban", "").replace(" ", "").upper(),
                    payer_name=row.get("payer_name", "").strip()[:140],
                    purpose=row.get("purpose", "").strip()[:500],
                    reference=row.get("reference", "").strip()[:64],
                )
            )
    if not stmt.statement_id:
        raise FormatError("the statement has no rows")
    return stmt


_DMY = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$")


def _csv_date(text: str) -> dt.date:
    """`2026-12-07` or `07.12.2026`."""
    m = _DMY.match(text)
    if m:
        return dt.date(int(m[3]), int(m[2]), int(m[1]))
    return dt.date.fromisoformat(text)


def statement_csv_write(fh: IO[str], *, statement_id: str, credits: Iterable[CreditIn]) -> None:
    """Write credits as a CSV statement (tests and demos)."""
    import csv

    w = csv.writer(fh, delimiter=";", lineterminator="\r\n")
    w.writerow(STATEMENT_COLUMNS)
    for c in credits:
        w.writerow(
            [
                statement_id,
                c.account_iban,
                c.value_date.isoformat(),
                c.booking_date.isoformat() if c.booking_date else "",
                str(c.amount),
                c.payer_iban,
                c.payer_name,
                c.purpose,
                c.reference,
            ]
        )


def statement_read(data: bytes, *, name: str = "") -> tuple[str, StatementIn]:
    """Read a statement of either kind, told apart by its first bytes: ("camt053"|"csv", statement)."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "camt053", camt053_read(io.BytesIO(data))
    return "csv", statement_csv_read(io.BytesIO(data), name=name or "statement.csv")
