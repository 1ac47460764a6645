"""Register files in the four exchange formats, through `formats.writers` (streamed from the lines).

One register, or — when a provider has several registers on one operational day — the day's
registers together: lines in order (register by register, each in its order of acceptance),
renumbered 1, 2, 3…, with the summary of all of them and the list of their numbers.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone

from merezha.core.money import Money
from merezha.formats.writers import Column, write_csv, write_dbf, write_json, write_xlsx
from merezha.registers.models import Register, RegisterLine

FORMATS = ("csv", "xlsx", "dbf", "json")

COLUMNS = [
    Column("line", "NREC", "N", 7, 0),
    Column("payment_id", "ID", "C", 36),
    Column("receipt", "KVIT", "C", 48),
    Column("paid_at", "", "C", 19),
    Column("point", "PUNKT", "C", 32),
    Column("account", "LS", "C", 32),
    Column("service", "USLUGA", "C", 16),
    Column("payer", "FIO", "C", 100),
    Column("address", "ADRES", "C", 150),
    Column("amount", "SUMMA", "N", 12, 2),
]

DBF_COLUMNS = [
    Column("line", "NREC", "N", 7, 0),
    Column("payment_id", "ID", "C", 36),
    Column("receipt", "KVIT", "C", 48),
    Column("date", "DATA", "D", 8),
    Column("time", "TIME", "C", 8),
    Column("point", "PUNKT", "C", 32),
    Column("account", "LS", "C", 32),
    Column("service", "USLUGA", "C", 16),
    Column("payer", "FIO", "C", 100),
    Column("address", "ADRES", "C", 150),
    Column("amount", "SUMMA", "N", 12, 2),
]

_FIELDS = (
    "payment_id",
    "receipt",
    "paid_at",
    "point_code",
    "account",
    "service",
    "payer",
    "address",
    "amount",
)


class RegisterFileError(ValueError):
    pass


def summary_of(registers: Sequence[Register]) -> dict[str, Any]:
    """The summary of exchange-v1 §3 of one register, or of several of one provider and day."""
    if not registers:
        raise RegisterFileError("no register")
    first = registers[0]
    points: dict[str, list[int]] = {}
    for reg in registers:
        for p in reg.points:
            acc = points.setdefault(p["point"], [0, 0])
            acc[0] += p["count"]
            acc[1] += Money.parse(p["total"]).kopecks
    data: dict[str, Any] = {}
    if len(registers) == 1:
        data["number"] = first.number
    else:
        data["numbers"] = [r.number for r in registers]
    data.update(
        {
            "provider": first.provider.code,
            "operational_day": first.operational_day.isoformat(),
            "count": sum(r.count for r in registers),
            "total": str(Money.total(r.total for r in registers)),
            "points": [
                {"point": code, "count": n, "total": str(Money(k))} for code, (n, k) in sorted(points.items())
            ],
        }
    )
    if len(registers) == 1:
        data["checksum"] = first.checksum
    return data


def _rows(registers: Sequence[Register]) -> Iterator[tuple[int, dict[str, Any]]]:
    n = 0
    for reg in registers:
        for row in RegisterLine.objects.filter(register=reg).order_by("line").values(*_FIELDS).iterator(2000):
            n += 1
            yield n, row


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value).replace(microsecond=0, tzinfo=None)


def _text_rows(registers: Sequence[Register]) -> Iterator[list[Any]]:
    for n, r in _rows(registers):
        yield [
            n,
            str(r["payment_id"]),
            r["receipt"],
            _local(r["paid_at"]).isoformat(sep=" "),
            r["point_code"],
            r["account"],
            r["service"],
            r["payer"],
            r["address"],
            str(r["amount"]),
        ]


def _dbf_rows(registers: Sequence[Register]) -> Iterator[list[Any]]:
    for n, r in _rows(registers):
        paid = _local(r["paid_at"])
        yield [
            n,
            str(r["payment_id"]),
            r["receipt"],
            paid.date(),
            paid.strftime("%H:%M:%S"),
            r["point_code"],
            r["account"],
            r["service"],
            r["payer"],
            r["address"],
            str(r["amount"]),
        ]


def register_file_write(*, registers: Sequence[Register], fmt: str, path: str | os.PathLike[str]) -> int:
    """Write the register(s) to `path` in `fmt`; returns the number of lines written."""
    if fmt not in FORMATS:
        raise RegisterFileError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    registers = sorted(registers, key=lambda r: r.number)
    summary = summary_of(registers)
    if fmt == "csv":
        return write_csv(path, COLUMNS, _text_rows(registers))
    if fmt == "json":
        return write_json(path, COLUMNS, _text_rows(registers), metadata=summary, rows_key="lines")
    if fmt == "dbf":
        encoding = registers[0].provider.dbf_encoding or "cp1251"
        return write_dbf(
            path, DBF_COLUMNS, _dbf_rows(registers), encoding=encoding, today=registers[0].issued_at.date()
        )
    head: list[list[Any]] = [
        [
            "number" if "number" in summary else "numbers",
            summary.get("number") or ", ".join(map(str, summary["numbers"])),
        ]
    ]
    head += [
        ["provider", summary["provider"]],
        ["operational_day", summary["operational_day"]],
        ["count", summary["count"]],
        ["total", Decimal(summary["total"])],
        [],
        ["point", "count", "total"],
    ]
    head += [[p["point"], p["count"], Decimal(p["total"])] for p in summary["points"]]
    return write_xlsx(path, COLUMNS, _text_rows(registers), sheet="lines", extra_sheets={"summary": head})


def content_type(fmt: str) -> str:
    return {
        "csv": "text/csv; charset=utf-8",
        "json": "application/json",
        "dbf": "application/x-dbf",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[fmt]
