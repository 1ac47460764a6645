"""Register files in the four exchange formats, written by the streaming writers of
`formats.writers`. The lines are read once.

One register, or — when a provider has several registers on one operational day — the day's
registers together: lines in order (register by register, each in its order of acceptance),
renumbered 1, 2, 3…, with the summary of all of them and the list of their numbers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone

from merezha.core.money import Money
from merezha.formats.writers import CONTENT_TYPES, Column, Sheet, write_csv, write_dbf, write_json, xlsx_write
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


def _prepared(registers: Sequence[Register]) -> list[tuple[Any, ...]]:
    """Every line once, ready for any format: (n, id, receipt, date, time, paid_at, point, account,
    service, payer, address, amount text)."""
    tz = timezone.get_default_timezone()
    out: list[tuple[Any, ...]] = []
    n = 0
    for reg in registers:
        for pid, receipt, paid_at, point, account, service, payer, address, amount in list(
            RegisterLine.objects.filter(register=reg).order_by("line").values_list(*_FIELDS)
        ):
            n += 1
            # "YYYY-MM-DD HH:MM:SS" of the local time (isoformat is the fast C path)
            stamp = paid_at.astimezone(tz).isoformat(sep=" ")[:19]
            kop = amount.kopecks if isinstance(amount, Money) else int(amount)
            sign = "-" if kop < 0 else ""
            whole, cents = divmod(abs(kop), 100)
            out.append(
                (
                    n,
                    str(pid),
                    receipt,
                    stamp[:10],
                    stamp[11:],
                    stamp,
                    point,
                    account,
                    service,
                    payer,
                    address,
                    f"{sign}{whole}.{cents:02d}",
                )
            )
    return out


_LINE_KEYS = (
    "line",
    "payment_id",
    "receipt",
    "paid_at",
    "point",
    "account",
    "service",
    "payer",
    "address",
    "amount",
)


def register_lines(*, registers: Sequence[Register]) -> list[dict[str, Any]]:
    """The lines as dicts (the JSON file's and the canonical form's), numbered across the registers."""
    return [dict(zip(_LINE_KEYS, row, strict=True)) for row in _text_rows(_prepared(registers))]


def _text_rows(lines: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    for r in lines:
        yield (r[0], r[1], r[2], r[5], r[6], r[7], r[8], r[9], r[10], r[11])


def _dbf_rows(lines: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    for r in lines:
        yield (r[0], r[1], r[2], r[3], r[4], r[6], r[7], r[8], r[9], r[10], r[11])


def _xlsx_rows(lines: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    for r in lines:
        yield (r[0], r[1], r[2], r[5], r[6], r[7], r[8], r[9], r[10], Decimal(r[11]))


def _summary_rows(summary: dict[str, Any]) -> list[list[Any]]:
    numbers = summary.get("number") or ", ".join(map(str, summary["numbers"]))
    rows: list[list[Any]] = [
        ["number" if "number" in summary else "numbers", numbers],
        ["provider", summary["provider"]],
        ["operational_day", summary["operational_day"]],
        ["count", summary["count"]],
        ["total", Decimal(summary["total"])],
        [],
        ["point", "count", "total"],
    ]
    rows += [[p["point"], p["count"], Decimal(p["total"])] for p in summary["points"]]
    return rows


def register_files_write(*, registers: Sequence[Register], targets: dict[str, str | os.PathLike[str]]) -> int:
    """Write the register(s) once per format in `targets` ({format: path}); the lines are read once.

    Returns the number of lines written to each file.
    """
    for fmt in targets:
        if fmt not in FORMATS:
            raise RegisterFileError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    registers = sorted(registers, key=lambda r: r.number)
    summary = summary_of(registers)
    lines = _prepared(registers)
    for fmt, path in targets.items():
        if fmt == "csv":
            write_csv(path, COLUMNS, _text_rows(lines))
        elif fmt == "json":
            write_json(path, COLUMNS, _text_rows(lines), metadata=summary, rows_key="lines")
        elif fmt == "dbf":
            encoding = registers[0].provider.dbf_encoding or "cp1251"
            write_dbf(
                path, DBF_COLUMNS, _dbf_rows(lines), encoding=encoding, today=registers[0].issued_at.date()
            )
        else:
            xlsx_write(
                path,
                sheets=[
                    Sheet("lines", _xlsx_rows(lines), header=[c.name for c in COLUMNS]),
                    Sheet("summary", _summary_rows(summary)),
                ],
            )
    return len(lines)


def register_file_write(*, registers: Sequence[Register], fmt: str, path: str | os.PathLike[str]) -> int:
    """Write the register(s) to `path` in `fmt`; returns the number of lines written."""
    return register_files_write(registers=registers, targets={fmt: path})


def content_type(fmt: str) -> str:
    return CONTENT_TYPES[fmt]
