"""Benchmark: the unified bills of one housing office as a batch (one PDF), on 2 cores.

    python -m bench.bills [--dwellings 10000] [--workers 2] [--chunk 200] [--layout a4x2]

Builds a fresh SQLite database in a temporary folder (or, with DATABASE_URL set to PostgreSQL,
a fresh database beside it, dropped afterwards) and generates one office directly with
`bulk_create`: `--dwellings` dwellings with one resident each, three providers (water, heat,
rent) with an account per dwelling, each account's period figures, service IBANs and ЄДРПОУ (so
every bill carries three NBU QR codes and the dwelling's QR code). It then runs the batch the way
the background task does (`portal.services.bill_batch_run`) and prints bills per second, the
wall time, and the peak resident memory of the task and of its render workers.

Target (issue 18): 10,000 bills of one office in under 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench.common import pg_drop_database, pg_fresh_database, table

PERIOD = dt.date(2026, 11, 1)


def _iban(mfo: str, account: str) -> str:
    bban = mfo + account.rjust(19, "0")
    number = int("".join(str(int(ch, 36)) for ch in bban + "UA00"))
    return f"UA{98 - number % 97:02d}{bban}"


def _build(dwellings: int) -> int:
    from merezha.core.roles import OrgKind
    from merezha.organisations.models import Organisation, ProviderService
    from merezha.organisations.services import service_ensure
    from merezha.providers.models import Account, AccountPeriod, Snapshot
    from merezha.registry.matching import fold
    from merezha.registry.models import Building, Dwelling, Person, Street

    office = Organisation.objects.create(code="ZHEK-B", name="ЖЕК № 7", kind=OrgKind.HOUSING_OFFICE)
    providers = []
    for n, (code, name, service, sname) in enumerate(
        [
            ("VODO", "КП «Хмельницькводоканал»", "water", "Водопостачання"),
            ("TEPLO", "МКП «Хмельницьктеплокомуненерго»", "heat", "Централізоване опалення"),
            ("KVART", "ЖЕК № 7 (квартплата)", "rent", "Утримання будинку"),
        ]
    ):
        org = Organisation.objects.create(code=code, name=name, kind=OrgKind.PROVIDER, edrpou=f"0335612{n}")
        svc = service_ensure(code=service, name=sname)
        ProviderService.objects.update_or_create(
            provider=org, service=svc, defaults={"iban": _iban("322313", f"2600{n}00000{n:05d}")}
        )
        snap = Snapshot.objects.create(
            provider=org,
            period=PERIOD,
            payments_through=dt.date(2026, 11, 30),
            status=Snapshot.Status.APPLIED,
        )
        providers.append((org, svc, snap, code[0]))
    street = Street.objects.create(type="вул.", name="Проскурівська", key=fold("Проскурівська"))
    buildings = Building.objects.bulk_create(
        [
            Building(street=street, number=str(b + 1), key=str(b + 1), office=office)
            for b in range((dwellings + 99) // 100)
        ]
    )
    homes = Dwelling.objects.bulk_create(
        [
            Dwelling(
                building=buildings[i // 100],
                apartment=str(i % 100 + 1),
                apartment_key=str(i % 100 + 1),
                office=office,
                office_ref=f"{i:06d}",
                area="52.40",
            )
            for i in range(dwellings)
        ],
        batch_size=2000,
    )
    Person.objects.bulk_create(
        [
            Person(
                dwelling=d,
                surname="Коваленко",
                name="Іван",
                patronymic="Петрович",
                surname_key="коваленко",
                relation="head",
            )
            for d in homes
        ],
        batch_size=2000,
    )
    for org, svc, snap, letter in providers:
        accounts = Account.objects.bulk_create(
            [
                Account(
                    provider=org,
                    number=f"{letter}{d.pk:08d}",
                    service=svc,
                    dwelling=d,
                    match_status=Account.Match.MATCHED,
                    street="Проскурівська",
                    house=d.building.number,
                    apartment=d.apartment,
                    payer="Коваленко Іван Петрович",
                    closing=123456 + d.pk,
                    snapshot=snap,
                )
                for d in homes
            ],
            batch_size=2000,
        )
        AccountPeriod.objects.bulk_create(
            [
                AccountPeriod(
                    snapshot=snap, account=a, period=PERIOD, opening=100000, charged=45000, recalc=-1200,
                    benefit=5000, subsidy=0, paid=40000, closing=a.closing,
                )
                for a in accounts
            ],
            batch_size=2000,
        )  # fmt: skip
    return office.pk


def _cpu() -> float:
    """User + system CPU seconds of this process and of its finished children (the render workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dwellings", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=200)
    parser.add_argument("--layout", default="a4x2")
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="bench-bills-")
    pg_url = None
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pg_url = pg_fresh_database("merezha_bench_bills")
        os.environ["DATABASE_URL"] = pg_url
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(home) / 'bench.sqlite3'}"
    os.environ["MEREZHA_HOME"] = home
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merezha.settings")
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        office_id = _build(args.dwellings)
        built = time.perf_counter() - started

        from merezha.organisations.models import Organisation
        from merezha.portal import services

        batch = services.bill_batch_start(
            office=Organisation.objects.get(pk=office_id), user=None, layout=args.layout
        )
        cpu_before = _cpu()
        started = time.perf_counter()
        done = services.bill_batch_run(batch_id=batch.pk, chunk=args.chunk, workers=args.workers)
        elapsed = time.perf_counter() - started
        cpu = _cpu() - cpu_before
        size = sum((Path(home) / f["path"]).stat().st_size for f in done.files.values())
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rows = [
            ["database", django.db.connection.vendor],
            ["bills", done.done],
            ["workers", args.workers],
            ["chunk", args.chunk],
            ["layout", args.layout],
            ["data built, s", f"{built:.1f}"],
            ["batch, s", f"{elapsed:.1f}"],
            ["bills/s", f"{done.done / elapsed:.1f}"],
            ["10,000 bills at this rate, s", f"{10_000 / (done.done / elapsed):.0f}"],
            ["CPU (task + workers), s", f"{cpu:.1f}"],
            ["CPU per bill, ms", f"{cpu / done.done * 1000:.0f}"],
            ["10,000 bills on 2 free cores (CPU / 2), s", f"{cpu / done.done * 10_000 / 2:.0f}"],
            ["PDF, MB", f"{size / 1e6:.1f}"],
            ["peak RSS of the task, MB", f"{own:.0f}"],
            ["peak RSS of one render worker, MB", f"{children:.0f}"],
            ["cores", os.cpu_count()],
        ]
        print(table(["figure", "value"], rows))
    finally:
        if pg_url:
            pg_drop_database(pg_url)


if __name__ == "__main__":
    sys.exit(main())
