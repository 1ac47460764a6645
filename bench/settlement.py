"""Settlement of a peak day: 40,000 payments, 120 points, 6 providers → 720 settlement orders,
their pain.001, a camt.053 statement of 720 credits, its import and the match.

    python -m bench.settlement [--payments 40000] [--points 120] [--providers 6] [--seed 1] [--db postgresql|sqlite]

Builds a fresh database (PostgreSQL by default, dropped at the end), a network with collecting and
receiving IBANs and the day's payments (in bulk, as bench.close_day does), closes the day (registers;
not part of the target), then times: the issue of the settlement orders, the pain.001 export, and
the import of a camt.053 statement crediting every order (built from the pain.001, not timed) with
the match. Target: orders + export + import and match under 10 s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import tempfile
import time

from bench._money import django_on, network_build, pg_drop_database, pg_fresh_database, table
from bench.close_day import DAY, payments_bulk


def ibans_give(net: dict) -> None:
    from schwifty import IBAN

    from merezha.organisations.models import Organisation, ProviderService
    from merezha.providers.models import Account

    def iban(n: int) -> str:
        return str(IBAN.generate("UA", bank_code="322001", account_code=f"{26000000000000 + n:019d}").compact)

    pairs = set(Account.objects.values_list("provider_id", "service_id").distinct())
    ProviderService.objects.bulk_create(
        [ProviderService(provider_id=p, service_id=s, iban=iban(p)) for p, s in sorted(pairs)],
        ignore_conflicts=True,
    )
    points = list(net["points"])
    for k, p in enumerate(points):
        p.iban = iban(100_000 + k)
    Organisation.objects.bulk_update(points, ["iban"])


def statement_from_pain(pain: bytes):
    """Every transfer of the pain.001 credited the next day, as a camt.053 (read with xml.etree)."""
    from xml.etree import ElementTree as ET

    from merezha.core.money import Money
    from merezha.settlements.files import CreditIn, camt053_write

    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
    root = ET.fromstring(pain)
    accounts: dict[str, list[CreditIn]] = {}
    n = 0
    for pmt in root.findall("p:CstmrCdtTrfInitn/p:PmtInf", ns):
        payer = pmt.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=ns) or ""
        for tx in pmt.findall("p:CdtTrfTxInf", ns):
            n += 1
            payee = tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=ns) or ""
            accounts.setdefault(payee, []).append(
                CreditIn(
                    line=n,
                    account_iban=payee,
                    amount=Money.parse(tx.findtext("p:Amt/p:InstdAmt", namespaces=ns) or "0"),
                    value_date=DAY + dt.timedelta(days=1),
                    booking_date=DAY + dt.timedelta(days=1),
                    payer_iban=payer,
                    payer_name="Payer",
                    purpose=tx.findtext("p:RmtInf/p:Ustrd", namespaces=ns) or "",
                    reference=tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns) or "",
                )
            )
    out = io.BytesIO()
    camt053_write(
        out, statement_id="BENCH-1", created=dt.datetime(2026, 11, 3, 18, tzinfo=dt.UTC), accounts=accounts
    )
    return out.getvalue(), n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--payments", type=int, default=40_000)
    ap.add_argument("--points", type=int, default=120)
    ap.add_argument("--providers", type=int, default=6)
    ap.add_argument("--accounts", type=int, default=60_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="bench-settle-")
    url = pg_fresh_database("bench_settle") if args.db == "postgresql" else f"sqlite:///{home}/bench.sqlite3"
    try:
        django_on(url, home)
        from django.conf import settings
        from django.db import connection

        t0 = time.perf_counter()
        net = network_build(
            providers=args.providers,
            points=args.points,
            accounts=args.accounts,
            seed=args.seed,
            through=DAY - dt.timedelta(days=2),
        )
        n_lines = payments_bulk(net, args.payments, args.seed)
        ibans_give(net)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        setup = time.perf_counter() - t0

        from django.utils import timezone

        from merezha.registers.services import days_close
        from merezha.settlements.files import pain001_write
        from merezha.settlements.selectors import order_rows, order_states, settlement_orders
        from merezha.settlements.services import statement_import

        settings.MEREZHA_AFTER_REGISTERS = []  # the orders are timed on their own below
        t1 = time.perf_counter()
        days_close(day=DAY)
        t_close = time.perf_counter() - t1

        from merezha.settlements.services import settlement_orders_issue

        t2 = time.perf_counter()
        orders = settlement_orders_issue(day=DAY)
        t_orders = time.perf_counter() - t2

        t3 = time.perf_counter()
        pain = io.BytesIO()
        pain001_write(
            pain,
            message_id="BENCH",
            orders=order_rows(orders=settlement_orders(day=DAY)),
            created=timezone.now(),
            execution=DAY + dt.timedelta(days=1),
        )
        t_export = time.perf_counter() - t3

        camt, n_credits = statement_from_pain(pain.getvalue())

        t4 = time.perf_counter()
        result = statement_import(data=camt, name="bench.xml")
        t_match = time.perf_counter() - t4

        states = order_states(orders=settlement_orders(day=DAY), today=DAY + dt.timedelta(days=30))
        matched = sum(1 for s in states if s.status == "matched")
        assert len(orders) == args.points * args.providers == n_credits == matched == result.matched, (
            len(orders),
            n_credits,
            matched,
            result.matched,
        )
        total = t_orders + t_export + t_match
        rows = [
            ("database", args.db),
            ("payments / lines", f"{args.payments} / {n_lines}"),
            ("points / providers", f"{args.points} / {args.providers}"),
            ("setup (bulk, not measured)", f"{setup:.1f} s"),
            ("day close, registers (not in target)", f"{t_close:.2f} s"),
            ("settlement orders issued", f"{len(orders)} in {t_orders:.2f} s"),
            ("pain.001 export", f"{len(pain.getvalue()) // 1024} KiB in {t_export:.2f} s"),
            ("camt.053 import + match", f"{n_credits} credits, {result.matched} matched in {t_match:.2f} s"),
            ("orders + export + match", f"{total:.2f} s"),
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
