"""Closing a peak day: 40,000 payments over 120 points and 6 providers → close + every register file.

    python -m bench.close_day [--payments 40000] [--points 120] [--providers 6] [--seed 1] [--db postgresql|sqlite]

Builds a fresh database (PostgreSQL by default, dropped at the end), a network and the day's
payments — written in bulk, because taking them is measured by bench.payments_http — then
times `days_close` (close every point, issue one register per provider: lines, summaries,
checksums, inbox documents) and the writing of every register in CSV, XLSX, DBF and JSON.
Target: close + files under 10 s on PostgreSQL on a 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

from bench._money import django_on, network_build, pg_drop_database, pg_fresh_database, table

DAY = dt.date(2026, 11, 2)


def payments_bulk(net: dict, count: int, seed: int) -> int:
    """The day's payments, 1–3 lines each, in bulk (as payment_create would have written them)."""
    from merezha.core.money import Money
    from merezha.payments.models import OperationalDay, Payment, PaymentLine

    rng = random.Random(seed)
    tz = ZoneInfo("Europe/Kyiv")
    start = dt.datetime(DAY.year, DAY.month, DAY.day, 8, tzinfo=tz)
    counters: dict[int, int] = {}
    payments, lines = [], []
    accounts = net["account_ids"]
    moments = sorted(rng.randrange(12 * 3600 * 1000) for _ in range(count))
    for i, ms in enumerate(moments):
        k = rng.randrange(len(net["points"]))
        point, cashier = net["points"][k], net["cashiers"][k]
        n = counters[point.pk] = counters.get(point.pk, 0) + 1
        chosen = rng.sample(accounts, rng.choice((1, 1, 2, 3)))
        amounts = [Money(rng.randint(100, 300_000)) for _ in chosen]
        p = Payment(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            point=point,
            cashier=cashier,
            operational_day=DAY,
            number=n,
            receipt=f"{point.code}-{DAY:%Y%m%d}-{n}",
            accepted_at=start + dt.timedelta(milliseconds=ms),
            method="card",
            total=Money.total(amounts),
            idempotency_key=f"bench-{i}",
        )
        payments.append(p)
        for (acc, prov), amount in zip(chosen, amounts, strict=True):
            lines.append(
                PaymentLine(
                    payment=p,
                    account_id=acc,
                    provider_id=prov,
                    operational_day=DAY,
                    point=point,
                    amount=amount,
                )
            )
    Payment.objects.bulk_create(payments, batch_size=5000)
    PaymentLine.objects.bulk_create(lines, batch_size=5000)
    OperationalDay.objects.bulk_create(
        [OperationalDay(point_id=pk, day=DAY, receipt_counter=n) for pk, n in counters.items()]
    )
    return len(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--payments", type=int, default=40_000)
    ap.add_argument("--points", type=int, default=120)
    ap.add_argument("--providers", type=int, default=6)
    ap.add_argument("--accounts", type=int, default=60_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    ap.add_argument("--profile", action="store_true", help="print a profile of the close")
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="bench-close-")
    url = pg_fresh_database("bench_close") if args.db == "postgresql" else f"sqlite:///{home}/bench.sqlite3"
    try:
        django_on(url, home)
        t0 = time.perf_counter()
        net = network_build(
            providers=args.providers,
            points=args.points,
            accounts=args.accounts,
            seed=args.seed,
            through=DAY - dt.timedelta(days=2),
        )
        n_lines = payments_bulk(net, args.payments, args.seed)
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # as autovacuum would have done during the day
        setup = time.perf_counter() - t0

        from merezha.registers.files import FORMATS, register_files_write
        from merezha.registers.models import Register, RegisterLine
        from merezha.registers.services import days_close

        t1 = time.perf_counter()
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
        result = days_close(day=DAY)
        t_close = time.perf_counter() - t1
        if args.profile:
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
        out = Path(home) / "files"
        out.mkdir()
        t2 = time.perf_counter()
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
        for reg in Register.objects.select_related("provider").order_by("provider__code"):
            base = out / f"{reg.provider.code}-{reg.number}"
            register_files_write(registers=[reg], targets={fmt: f"{base}.{fmt}" for fmt in FORMATS})
        t_files = time.perf_counter() - t2
        if args.profile:
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        assert RegisterLine.objects.count() == n_lines and len(result.registers) == args.providers
        total = t_close + t_files
        rows = [
            ("database", args.db),
            ("payments / lines", f"{args.payments} / {n_lines}"),
            ("points / providers", f"{args.points} / {args.providers}"),
            ("setup (bulk, not measured)", f"{setup:.1f} s"),
            ("close + issue registers", f"{t_close:.2f} s"),
            ("write every file (4 formats)", f"{t_files:.2f} s"),
            ("close + files", f"{total:.2f} s"),
            ("target", "< 10 s"),
            ("ratio target / measured", f"{10 / total:.2f}"),
        ]
        print(table(("figure", "value"), rows))
        sys.stdout.flush()
    finally:
        from django.db import connections

        connections.close_all()
        if args.db == "postgresql":
            pg_drop_database(url)


if __name__ == "__main__":
    main()
