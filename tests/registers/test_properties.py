"""Property-based tests of the money loop's invariants (hypothesis):

- every accepted, uncancelled payment line is in exactly one register, a cancelled one in none;
- every register's total equals the sum of its lines, in every file format (DBF read with dbfread);
- no register changes after it is issued, whatever closes and payments follow.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import tempfile
from decimal import Decimal
from pathlib import Path

import dbfread
import openpyxl
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from merezha.core.money import Money
from merezha.payments.models import Cancellation, PaymentLine
from merezha.payments.services import PaymentError, PaymentLineIn, payment_cancel, payment_create
from merezha.registers.files import register_file_write
from merezha.registers.models import Register, RegisterLine
from merezha.registers.services import days_close, point_day_close
from tests.payments.conftest import at

pytestmark = pytest.mark.django_db

DAYS = ["2026-11-02", "2026-11-03", "2026-11-04"]
SERVICES = ["water", "sewer", "heat"]

pay_op = st.tuples(
    st.just("pay"),
    st.integers(0, 1),  # point
    st.integers(0, 2),  # day
    st.integers(8, 20),  # hour
    st.dictionaries(st.sampled_from(SERVICES), st.integers(1, 500_000), min_size=1, max_size=3),
)
cancel_op = st.tuples(st.just("cancel"), st.integers(0, 50))
close_op = st.tuples(st.just("close"), st.integers(0, 2), st.integers(0, 2))  # point (2 = every point), day
ops_strategy = st.lists(st.one_of(pay_op, cancel_op, close_op), min_size=1, max_size=14)


def register_state() -> list[tuple]:
    return list(
        RegisterLine.objects.order_by("pk").values_list(
            "pk", "register_id", "line", "payment_line_id", "amount", "receipt", "account"
        )
    ) + list(
        Register.objects.order_by("pk").values_list("pk", "number", "count", "total", "checksum", "points")
    )


def dec(text) -> Decimal:
    return Decimal(str(text)).quantize(Decimal("0.01"))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=ops_strategy)
def test_money_loop_invariants(world, ops):
    with transaction.atomic():
        run(world, ops)
        transaction.set_rollback(True)


def run(world, ops):
    payments = []
    for n, op in enumerate(ops):
        if op[0] == "pay":
            _, point, day, hour, amounts = op
            try:
                res = payment_create(
                    cashier=world.cashiers[point],
                    point=world.points[point],
                    lines=[
                        PaymentLineIn(account_id=world.accounts[s].pk, amount=Money(k))
                        for s, k in amounts.items()
                    ],
                    method="card",
                    tendered=None,
                    idempotency_key=f"p{n}",
                    now=at(DAYS[day], hour),
                )
                payments.append(res.payment)
            except PaymentError:
                pass
        elif op[0] == "cancel" and payments:
            p = payments[op[1] % len(payments)]
            with contextlib.suppress(PaymentError):
                payment_cancel(
                    payment_id=p.pk,
                    cashier=world.cashiers[0 if p.point_id == world.points[0].pk else 1],
                    reason="x",
                    now=at(p.operational_day.isoformat(), 21),
                )
        elif op[0] == "close":
            _, point, day = op
            before = register_state()
            if point == 2:
                days_close(day=dt.date.fromisoformat(DAYS[day]))
            else:
                point_day_close(
                    point=world.points[point],
                    user=world.cashiers[point],
                    day=dt.date.fromisoformat(DAYS[day]),
                )
            after = register_state()
            # what was issued before is unchanged: the old state is a prefix of the new one (by pk)
            old_lines = [row for row in before if len(row) == 7]
            assert [row for row in after if len(row) == 7][: len(old_lines)] == old_lines
            old_regs = [row for row in before if len(row) == 6]
            assert [row for row in after if len(row) == 6][: len(old_regs)] == old_regs
    before_final = [r for r in register_state() if len(r) == 7]
    # close everything that is left (payments may have moved to later days after a close)
    last = max([p.operational_day for p in payments] + [dt.date.fromisoformat(DAYS[-1])])
    day = dt.date.fromisoformat(DAYS[0])
    while day <= last:
        days_close(day=day)
        day += dt.timedelta(days=1)
    final = register_state()
    assert [r for r in final if len(r) == 7][: len(before_final)] == before_final
    cancelled = set(Cancellation.objects.values_list("payment_id", flat=True))
    for line in PaymentLine.objects.all():
        n_regs = RegisterLine.objects.filter(payment_line=line).count()
        assert n_regs == (0 if line.payment_id in cancelled else 1)
    with tempfile.TemporaryDirectory() as tmp:
        for reg in Register.objects.select_related("provider"):
            lines = list(RegisterLine.objects.filter(register=reg).order_by("line"))
            assert [x.line for x in lines] == list(range(1, len(lines) + 1))
            assert reg.count == len(lines) and reg.total == Money.total(x.amount for x in lines)
            base = Path(tmp) / f"{reg.provider.code}-{reg.number}"
            for fmt in ("json", "csv", "dbf", "xlsx"):
                register_file_write(registers=[reg], fmt=fmt, path=f"{base}.{fmt}")
            total = reg.total.amount
            data = json.loads(Path(f"{base}.json").read_text())
            assert dec(data["total"]) == total == sum(dec(x["amount"]) for x in data["lines"])
            csv_rows = Path(f"{base}.csv").read_text(encoding="utf-8").splitlines()[1:]
            assert sum(dec(r.rsplit(";", 1)[1]) for r in csv_rows) == total and len(csv_rows) == reg.count
            dbf = list(dbfread.DBF(f"{base}.dbf", encoding="cp1251"))
            assert sum(dec(r["SUMMA"]) for r in dbf) == total and len(dbf) == reg.count
            assert [r["ID"] for r in dbf] == [x["payment_id"] for x in data["lines"]]
            wb = openpyxl.load_workbook(f"{base}.xlsx", read_only=True)
            xl = list(wb["lines"].iter_rows(values_only=True))[1:]
            assert sum(dec(r[-1]) for r in xl) == total and len(xl) == reg.count
            summary = {r[0]: r[1] for r in wb["summary"].iter_rows(values_only=True) if r and r[0]}
            assert dec(summary["total"]) == total
            wb.close()
