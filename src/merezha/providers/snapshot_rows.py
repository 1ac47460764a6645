"""The rows of a provider snapshot (exchange-v1 §2) read, checked and made ready to stage, without Django.

`open_checked` reads a file with `formats.open_table` and checks every row: required values,
lengths, the service (a network code or the provider's alias), the amounts and the consistency
rule. Each row becomes the tuple the import stages (STAGING_COLUMNS): a rejected row keeps only
its line, account and service, and every fault of it is named as (line, column, reason). Each
distinct address as written gets a number; the import matches every new address once to the
city register (which needs the database) and stages it under that number.

A big file is read in a reader process of its own (`python -m merezha.providers.snapshot_rows`),
so that reading and checking on one core overlap staging on the other. The reader process imports
no Django and holds one batch of rows at a time; it runs the same code on the same file, so each
row gets the same verdict in either process.
"""

from __future__ import annotations

import marshal
import os
import re
import struct
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from merezha.core.identifiers import tax_id_normalise
from merezha.core.money import Money, MoneyError
from merezha.formats import FormatError, Table, open_table, source_name
from merezha.formats.limits import Limits, limits_in_force
from merezha.registry.matching import fold

SNAPSHOT_DBF_FIELDS = {
    "LS": "account",
    "USLUGA": "service",
    "STREET": "street",
    "HOUSE": "house",
    "FLAT": "apartment",
    "FIO": "payer",
    "IDCODE": "tax_id",
    "SALDO_N": "opening",
    "NACH": "charged",
    "PERER": "recalc",
    "LGOTA": "benefit",
    "SUBS": "subsidy",
    "OPL": "paid",
    "SALDO_K": "closing",
}
REQUIRED = ("account", "service", "street", "house", "closing")
PERIOD_COLUMNS = ("opening", "charged", "recalc", "benefit", "subsidy", "paid")
MONEY_COLUMNS = (*PERIOD_COLUMNS, "closing")
#: Longest value of each text column (the model's field lengths).
MAX_LENGTH = {"account": 32, "street": 120, "house": 32, "apartment": 16, "payer": 200, "tax_id": 16}
#: A row as the import stages it. Its address is a number (ADDRESS_COLUMNS): an address's texts
#: are staged once, not once per account and service. A rejected row (`rejected` = 1) has its
#: line, account (cut to 32 characters) and service id, if known; nothing else.
STAGING_COLUMNS = (
    ("line", "integer"),
    ("account", "varchar(32)"),
    ("service_id", "bigint"),
    ("address_id", "integer"),
    ("payer", "varchar(200)"),
    ("payer_key", "varchar(80)"),
    ("tax_id", "varchar(16)"),
    ("tax_detail", "varchar(300)"),
    *((column, "bigint") for column in MONEY_COLUMNS),
    ("rejected", "integer"),
)
#: A new address as the rows give it to the import: its number and its texts as written.
ADDRESS_WRITTEN = ("id", "street", "house", "apartment")
#: Rows in a batch: what the import stages at a time, and the most rows held in memory.
BATCH_ROWS = 5_000

_KOPECKS_CACHE_SIZE = 50_000
#: At most this many service spellings, addresses, payers and tax ids are remembered between rows.
_CACHE_SIZE = 50_000


class _KopecksCache(dict[str, int]):
    """Kopecks of each amount spelling, parsed once: amounts repeat a lot (`0`, tariffs).

    A hit is a plain dict lookup in C; a miss parses (MoneyError for a bad amount) and remembers
    at most `_KOPECKS_CACHE_SIZE` spellings.
    """

    def __missing__(self, text: str) -> int:
        value = _kopecks_parse(text)
        if len(self) < _KOPECKS_CACHE_SIZE:
            self[text] = value
        return value


def _kopecks_parse(text: str) -> int:
    """Kopecks of an amount as partners write it; the common `123,45` without the Decimal detour."""
    if 3 < len(text) <= 16 and text[-3] in ",.":
        digits = text[:-3] + text[-2:]  # `1234,56` → 123456 kopecks
        if digits.isascii():
            if digits.isdigit():
                return int(digits)
            if digits[0] == "-" and digits[1:].isdigit():
                return -int(digits[1:])
    whole, sep, frac = text.partition(",") if "," in text else text.partition(".")
    negative = whole[:1] == "-"
    if negative or whole[:1] == "+":
        whole = whole[1:]
    if (
        whole.isascii()
        and whole.isdigit()
        and len(whole) <= 13
        and (not sep or (frac.isascii() and frac.isdigit() and len(frac) <= 2))
    ):
        value = int(whole) * 100 + (int(frac) * (10 if len(frac) == 1 else 1) if frac else 0)
        return -value if negative else value
    return Money.parse(text).kopecks


#: One amount as most files write it: digits and two decimal places, or a bare `0`.
_PLAIN_AMOUNT = r"(?:-?[0-9]{1,13}[,.][0-9]{2}|0)"
#: A row's seven amounts (MONEY_COLUMNS joined by `;`) when every one of them is plain. Their kopecks
#: are then the digits without the decimal separator, read by `int` in C: no call per amount.
_PLAIN_AMOUNTS = re.compile(";".join([_PLAIN_AMOUNT] * len(MONEY_COLUMNS)))


def _plain_kopecks(texts: Sequence[str]) -> list[int] | None:
    """Kopecks of a row's seven amounts when all of them are plain (see _PLAIN_AMOUNTS), else None.

    The row loop does the same inline; this is the rule on its own, for the tests.
    """
    joined = ";".join(texts)
    if _PLAIN_AMOUNTS.fullmatch(joined) is None:
        return None
    return list(map(int, joined.replace(",", "").replace(".", "").split(";")))


#: The columns `_picker` gives of every row, in this order.
ROW_COLUMNS = ("account", "service", "street", "house", "apartment", "payer", "tax_id", *MONEY_COLUMNS)


def _picker(columns: list[str], *, lists: bool) -> Callable[[Any], Sequence[str]]:
    """A function giving a row's ROW_COLUMNS texts (`""` for a column the file lacks) in one C call.

    `lists`: rows are lists in the order of `columns` (CSV records); otherwise dictionaries.
    """
    if all(c in columns for c in ROW_COLUMNS):
        return itemgetter(*(columns.index(c) for c in ROW_COLUMNS) if lists else ROW_COLUMNS)
    if lists:
        width = len(columns)  # a column the file lacks is read from one empty text added at the end
        get = itemgetter(*(columns.index(c) if c in columns else width for c in ROW_COLUMNS))
        return lambda values: get([*values, ""])  # type: ignore[no-any-return]
    empty = ("",) * len(ROW_COLUMNS)
    return lambda row: tuple(map(row.get, ROW_COLUMNS, empty))


@dataclass(frozen=True)
class Services:
    """What the checks need to know of the network's services and the provider's aliases."""

    #: Lower-cased network code or alias → network code (`organisations.selectors.service_code_map`).
    codes: dict[str, str]
    #: Network code → the service's id.
    ids: dict[str, int]


class _ServiceIds(dict[str, "int | None"]):
    """Service id of each service spelling of the file (code or alias, any case); None if unknown."""

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services

    def __missing__(self, text: str) -> int | None:
        code = self.services.codes.get(text.lower()) if text else None
        value = self.services.ids[code] if code else None
        if len(self) < _CACHE_SIZE:
            self[text] = value
        return value


@dataclass
class _Checks:
    """What the row loop knows between rows: the file's rules and bounded caches."""

    service_ids: _ServiceIds
    #: The file states opening balances, so the consistency rule applies (JSON: row by row).
    has_period_columns: bool
    json_rows: bool
    kopecks: _KopecksCache = field(default_factory=_KopecksCache)
    #: (street, house, apartment) as written → its number.
    addresses: dict[tuple[str, str, str], int] = field(default_factory=dict)
    #: Addresses numbered since the import last took them (ADDRESS_WRITTEN).
    addresses_new: list[tuple[int, str, str, str]] = field(default_factory=list)
    address_last_id: int = 0
    #: payer as written → folded surname, and surname → folded.
    payer_keys: dict[str, str] = field(default_factory=lambda: {"": ""})
    surname_keys: dict[str, str] = field(default_factory=dict)
    tax_ids: dict[str, tuple[str, str]] = field(default_factory=dict)


def _address_id(checks: _Checks, street: str, house: str, apartment: str) -> int:
    """The number of an address as written: a new one is numbered and waits for the import.

    After the memory is cleared (bounded), an address seen again is numbered again: the import
    then matches it again, and two numbers stand for the same address.
    """
    key = (street, house, apartment)
    found = checks.addresses.get(key)
    if found is not None:
        return found
    if len(checks.addresses) >= _CACHE_SIZE:
        checks.addresses.clear()  # bounded: memory stays flat whatever the file size
    checks.address_last_id += 1
    checks.addresses[key] = checks.address_last_id
    checks.addresses_new.append((checks.address_last_id, street, house, apartment))
    return checks.address_last_id


def _payer_key(checks: _Checks, payer: str) -> str:
    """The payer's surname folded as the register folds residents' (`Person.surname_key`)."""
    key = checks.payer_keys.get(payer)
    if key is None:
        if len(checks.payer_keys) >= _CACHE_SIZE:
            checks.payer_keys.clear()
            checks.payer_keys[""] = ""
        surname = payer.split(None, 1)[0]
        key = checks.surname_keys.get(surname)
        if key is None:
            if len(checks.surname_keys) >= _CACHE_SIZE:
                checks.surname_keys.clear()
            key = checks.surname_keys[surname] = fold(surname)[:80]
        checks.payer_keys[payer] = key
    return key


def _tax_id(checks: _Checks, raw: str) -> tuple[str, str]:
    """(value as stored, reason it is invalid or ""). The provider's value is kept as written."""
    found = checks.tax_ids.get(raw)
    if found is None:
        if len(checks.tax_ids) >= _CACHE_SIZE:
            checks.tax_ids.clear()
        try:
            found = (tax_id_normalise(raw)[:16], "")
        except ValueError as exc:
            found = (raw[:16], str(exc))
        checks.tax_ids[raw] = found
    return found


Fault = tuple[int, str, str]
#: Rows ready to stage, the faults found in them, and the new addresses they refer to.
Batch = tuple[list[tuple[Any, ...]], list[Fault], list[tuple[int, str, str, str]]]
_NO_AMOUNTS = (None,) * len(MONEY_COLUMNS)


def _row_checked(checks: _Checks, faults: list[Fault], line: int, row: dict[str, str]) -> tuple[Any, ...]:
    """A row the fast path doubts, checked one rule at a time; every fault of it goes to `faults`."""
    faults_before = len(faults)
    get = row.get
    for column in REQUIRED:
        if not get(column):
            faults.append((line, column, "required value is empty"))
    for column, limit in MAX_LENGTH.items():
        value = get(column) or ""
        if len(value) > limit:
            faults.append((line, column, f"longer than {limit} characters"))
    account = (get("account") or "")[:32]
    service_id: int | None = None
    raw_service = get("service") or ""
    if raw_service:
        service_id = checks.service_ids[raw_service]
        if service_id is None:
            faults.append(
                (line, "service", f"unknown service {raw_service!r}: not a network code nor your alias")
            )
    amounts: dict[str, int | None] = {}
    for column in MONEY_COLUMNS:
        text = get(column) or ""
        if not text:
            amounts[column] = None
            continue
        try:
            amounts[column] = checks.kopecks[text]
        except MoneyError as exc:
            amounts[column] = None
            faults.append((line, column, str(exc)))
    if (checks.has_period_columns or (checks.json_rows and "opening" in row)) and len(
        faults
    ) == faults_before:
        figures = [amounts[c] for c in PERIOD_COLUMNS]
        if any(v is not None for v in figures) and amounts["closing"] is not None:
            o, c, r, b, s, p = (v or 0 for v in figures)
            expected = o + c + r - b - s - p
            if expected != amounts["closing"]:
                faults.append(
                    (
                        line,
                        "closing",
                        f"closing {Money(amounts['closing'])} does not follow from the period columns: "
                        f"opening + charged + recalc − benefit − subsidy − paid = {Money(expected)}",
                    )
                )
    if len(faults) != faults_before:
        return (line, account, service_id, None, "", "", "", "", *_NO_AMOUNTS, 1)
    payer = get("payer") or ""
    tax_id, tax_detail = _tax_id(checks, get("tax_id") or "")
    return (
        line,
        account,
        service_id,
        _address_id(checks, get("street") or "", get("house") or "", get("apartment") or ""),
        payer,
        _payer_key(checks, payer),
        tax_id,
        tax_detail,
        *(amounts[c] for c in MONEY_COLUMNS),
        0,
    )


def _row_broken(
    checks: _Checks, faults: list[Fault], pending: list[Fault], row: dict[str, str]
) -> tuple[Any, ...]:
    """A row the reader found broken on its own (Table.row_faults): rejected with its faults, which are
    taken from `pending`.

    Its account and service, as far as they can be read, are kept, so that with `accept_partial` an
    account whose row was rejected stays as it was rather than being closed as missing.
    """
    line = pending[0][0]
    faults.extend(pending)
    pending.clear()
    raw_service = row.get("service") or ""
    service_id = checks.service_ids[raw_service] if raw_service else None
    return (line, (row.get("account") or "")[:32], service_id, None, "", "", "", "", *_NO_AMOUNTS, 1)


def _batches(table: Table, services: Services) -> Iterator[Batch]:
    """Every row of `table` as staged (STAGING_COLUMNS), in batches of BATCH_ROWS, each with the
    faults of its rejected rows and the new addresses it refers to.

    A well-formed row takes the fast path written out in this loop: its texts picked in one call,
    its seven amounts checked by one regex and read by `int` (or one by one through the cache when
    they are not all plain), its address, payer and tax id looked up in bounded caches (or taken
    from the row before, which often has the same dwelling and payer). Anything doubtful goes
    through `_row_checked`, which checks one rule at a time. When the file turns out unreadable
    half-way, the rows read before are given first, then the FormatError is raised: the import
    counts them as read, as it would have row by row.
    """
    header = table.columns
    checks = _Checks(
        _ServiceIds(services),
        has_period_columns=table.format != "json" and "opening" in header,
        json_rows=table.format == "json",
    )
    faults: list[Fault] = []
    batch: list[tuple[Any, ...]] = []
    append = batch.append

    def taken() -> Batch:
        done = (batch[:], faults[:], checks.addresses_new[:])
        batch.clear()
        faults.clear()
        checks.addresses_new.clear()
        return done

    lists = table.records is not None
    source: Iterator[tuple[int, Any]] = table.records if table.records is not None else table.rows
    row_faults = table.row_faults  # the reader's faults of a broken row, given just before that row
    pick = _picker(header, lists=lists)
    # all seven amount columns present: try the plain spelling of all of them at once
    plain = (
        _PLAIN_AMOUNTS.fullmatch if not checks.json_rows and all(c in header for c in MONEY_COLUMNS) else None
    )
    service_ids, kopecks, addresses = checks.service_ids, checks.kopecks, checks.addresses
    service_id_get, payer_keys, tax_ids = service_ids.get, checks.payer_keys, checks.tax_ids
    period_rule, json_rows = checks.has_period_columns, checks.json_rows
    last_address: tuple[str, str, str] | None = None
    last_payer: str | None = None
    address_id, payer_key = 0, ""
    # each amount is its text, then its kopecks
    opening: Any
    charged: Any
    recalc: Any
    benefit: Any
    subsidy: Any
    paid: Any
    closing: Any
    try:
        for line, row in source:
            if row_faults:
                append(
                    _row_broken(
                        checks, faults, row_faults, dict(zip(header, row, strict=True)) if lists else row
                    )
                )
                if len(batch) >= BATCH_ROWS:
                    yield taken()
                continue
            (account, raw_service, street, house, apartment, payer, tax_id,
             opening, charged, recalc, benefit, subsidy, paid, closing) = pick(row)  # fmt: skip
            service_id = service_id_get(raw_service)
            if service_id is None:
                service_id = service_ids[raw_service]  # a spelling not seen yet, or not a service
            joined = f"{opening};{charged};{recalc};{benefit};{subsidy};{paid};{closing}"
            if plain is not None and plain(joined) is not None:
                opening, charged, recalc, benefit, subsidy, paid, closing = map(
                    int, joined.replace(",", "").replace(".", "").split(";")
                )
                consistent = closing == opening + charged + recalc - benefit - subsidy - paid
            else:
                try:
                    opening, charged, recalc, benefit, subsidy, paid, closing = [
                        kopecks[t] if t else None
                        for t in (opening, charged, recalc, benefit, subsidy, paid, closing)
                    ]
                except MoneyError:
                    append(
                        _row_checked(
                            checks, faults, line, dict(zip(header, row, strict=True)) if lists else row
                        )
                    )
                    if len(batch) >= BATCH_ROWS:
                        yield taken()
                    continue
                consistent = (
                    not (period_rule or (json_rows and "opening" in row))
                    or closing is None
                    or (
                        opening is None
                        and charged is None
                        and recalc is None
                        and benefit is None
                        and subsidy is None
                        and paid is None
                    )
                    or closing
                    == (opening or 0)
                    + (charged or 0)
                    + (recalc or 0)
                    - (benefit or 0)
                    - (subsidy or 0)
                    - (paid or 0)
                )
            if (
                service_id is None
                or closing is None
                or not consistent
                or not account
                or not street
                or not house
                or len(account) > 32
                or len(street) > 120
                or len(house) > 32
                or len(apartment) > 16
                or len(payer) > 200
                or len(tax_id) > 16
            ):
                append(
                    _row_checked(checks, faults, line, dict(zip(header, row, strict=True)) if lists else row)
                )
                if len(batch) >= BATCH_ROWS:
                    yield taken()
                continue
            address = (street, house, apartment)
            if address != last_address:
                address_id = addresses.get(address) or _address_id(checks, street, house, apartment)
                last_address = address
            if payer != last_payer:
                payer_key = payer_keys.get(payer) or _payer_key(checks, payer)
                last_payer = payer
            tax_id, tax_detail = (tax_ids.get(tax_id) or _tax_id(checks, tax_id)) if tax_id else ("", "")
            append(
                (line, account, service_id, address_id, payer, payer_key, tax_id, tax_detail,
                 opening, charged, recalc, benefit, subsidy, paid, closing, 0)
            )  # fmt: skip
            if len(batch) >= BATCH_ROWS:
                yield taken()
    except FormatError:
        if batch or faults:
            yield taken()
        raise
    if batch or faults:
        yield taken()


@dataclass
class CheckedTable:
    """A snapshot file opened for the import: what `formats.Table` says of it, and its checked rows."""

    name: str
    format: str
    encoding: str | None
    columns: list[str]
    header_line: int
    #: The rows ready to stage in batches, each with the faults found in it and its new addresses.
    batches: Iterator[Batch]
    #: Top-level scalar keys of a JSON file; complete once `batches` is exhausted (and so are a
    #: JSON file's columns).
    metadata: dict[str, str] = field(default_factory=dict)


#: A file at least this big is read and checked in a reader process of its own; a smaller one is
#: read in the import's process (starting a process takes about a tenth of a second).
READER_PROCESS_MIN_BYTES = 4 << 20
#: The process id of the last reader process started (for the tests).
_last_reader_pid = 0
#: Bytes of a reader process's batches the pipe holds while the import is busy (Linux may refuse).
_PIPE_BYTES = 1 << 20
_F_SETPIPE_SZ = 1031


@contextmanager
def open_checked(
    source: str | os.PathLike[str] | IO[bytes], *, services: Services, name: str | None = None
) -> Iterator[CheckedTable]:
    """Open a snapshot file and check its rows: in a reader process for a big file, else here.

    Raises FormatError, as `formats.open_table` does, for a file that cannot be read; a reader
    process that fails otherwise is a RuntimeError. Leaving the block stops the reader process.
    """
    display = source_name(source, name)
    limits = limits_in_force()
    process = _reader_start(source, services, display, limits)
    if process is None:
        with open_table(
            source, dbf_fields=SNAPSHOT_DBF_FIELDS, name=name, row_faults=True, limits=limits
        ) as table:
            yield CheckedTable(
                table.name,
                table.format,
                table.encoding,
                table.columns,
                table.header_line,
                _batches(table, services),
                table.metadata,
            )
        return
    said: list[str] = []
    try:
        yield _reader_table(process, said)
    finally:
        _reader_stop(process, finished=bool(said))


def _reader_start(
    source: str | os.PathLike[str] | IO[bytes], services: Services, display: str, limits: Limits
) -> subprocess.Popen[bytes] | None:
    """A reader process for a big file on disk (a path, or an open file: its descriptor is shared).

    None when the file is small, is no file on disk, or this Python cannot start another: an
    embedding server (uWSGI, say) has itself as `sys.executable`, not a Python interpreter.
    """
    if not Path(sys.executable or "-").name.lower().startswith(("python", "pypy")):
        return None
    where: tuple[str, str | int]
    fds: tuple[int, ...] = ()
    try:
        if isinstance(source, (str, os.PathLike)):
            size, where = os.stat(source).st_size, ("path", os.fspath(source))
        else:
            fd = source.fileno()
            size, where, fds = os.fstat(fd).st_size, ("fd", fd), (fd,)
    except (OSError, ValueError, AttributeError):  # no such file (the reader says so), or not a file
        return None
    if size < READER_PROCESS_MIN_BYTES:
        return None
    root = str(Path(__file__).resolve().parents[2])  # the folder `merezha` is imported from
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "merezha.providers.snapshot_rows"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            pass_fds=fds,
            env=env,
        )
    except OSError:
        return None
    global _last_reader_pid
    _last_reader_pid = process.pid
    assert process.stdin is not None and process.stdout is not None
    try:
        import fcntl

        fcntl.fcntl(process.stdout.fileno(), _F_SETPIPE_SZ, _PIPE_BYTES)
    except (ImportError, OSError):
        pass
    try:
        request = (*where, display, services.codes, services.ids, limits.as_dict())
        process.stdin.write(marshal.dumps(request))
        process.stdin.close()
    except OSError:  # the process did not start properly: what it answers (or not) says why
        pass
    return process


def _receive(process: subprocess.Popen[bytes]) -> Any:
    assert process.stdout is not None
    head = process.stdout.read(4)
    data = process.stdout.read(struct.unpack("<I", head)[0]) if len(head) == 4 else b""
    if not data:
        raise RuntimeError(f"the snapshot reader process stopped (exit status {process.wait()})")
    return marshal.loads(data)


def _reader_table(process: subprocess.Popen[bytes], said: list[str]) -> CheckedTable:
    """The reader process's answers as a CheckedTable; `said` gets its last word (end, or why not)."""

    def answer() -> Any:
        message = _receive(process)
        if message[0] in ("end", "format_error", "failure"):
            said.append(message[0])
            _reader_stop(process, finished=True)  # its last word: reaped now, not when the import ends
        if message[0] == "format_error":
            raise FormatError(message[1], line=message[2], column=message[3])
        if message[0] == "failure":
            raise RuntimeError(f"the snapshot reader process failed:\n{message[1]}")
        return message

    _, name, file_format, encoding, columns, header_line = answer()
    metadata: dict[str, str] = {}

    def batches() -> Iterator[Batch]:
        while True:
            message = answer()
            if message[0] == "end":
                metadata.update(message[1])
                columns[:] = message[2]
                return
            yield message[1], message[2], message[3]

    return CheckedTable(name, file_format, encoding, columns, header_line, batches(), metadata)


def _reader_stop(process: subprocess.Popen[bytes], *, finished: bool) -> None:
    """Let a reader process that has said its last word exit; stop one that has not (the import
    left early)."""
    if finished:
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    if process.poll() is None:
        process.kill()
    process.wait()
    if process.stdout is not None:
        process.stdout.close()


def _die_with_parent() -> None:
    """On Linux, the kernel kills this reader process when the import's process dies (`kill -9` of a
    worker), rather than leaving it to read on for nobody."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request was set
        os._exit(1)


def _serve(request: IO[bytes], out: IO[bytes]) -> None:
    """The reader process: read and check the file named in `request`, answer batch by batch on `out`."""
    _die_with_parent()
    kind, where, display, codes, ids, limits = marshal.load(request)
    source: str | IO[bytes] = where if kind == "path" else os.fdopen(where, "rb", closefd=False)
    services = Services(codes, ids)

    def send(*message: Any) -> None:
        data = marshal.dumps(message)
        out.write(struct.pack("<I", len(data)))
        out.write(data)
        out.flush()

    try:
        with open_table(
            source, dbf_fields=SNAPSHOT_DBF_FIELDS, name=display, row_faults=True, limits=Limits(**limits)
        ) as table:
            send("table", table.name, table.format, table.encoding, table.columns, table.header_line)
            for batch, faults, addresses in _batches(table, services):
                send("rows", batch, faults, addresses)
            send("end", table.metadata, table.columns)  # a JSON file's columns are known at its end
    except FormatError as exc:
        send("format_error", exc.reason, exc.line, exc.column)
    except BrokenPipeError:  # the import has stopped reading: nothing to tell it
        pass
    except BaseException:
        with suppress(BrokenPipeError):
            send("failure", traceback.format_exc())


if __name__ == "__main__":
    import gc

    gc.disable()  # the rows make no reference cycles
    _serve(sys.stdin.buffer, sys.stdout.buffer)
    os._exit(0)  # every answer is flushed; nothing else to tear down
