"""Benchmark: the housing office's reports at city scale, and the city-wide debtors export.

    python -m bench.housing_reports [--dwellings 110000] [--seed 1] [--runs 3] [--keep]

Builds a fresh database (SQLite: a temporary file; PostgreSQL: `<DATABASE_URL's name>_bench_housing`,
dropped and created) and generates a city directly with `bulk_create` (`merezha seed --scale city`
does not yet produce a city with provider accounts and period history): 12 housing offices,
700 streets, ~110,000 dwellings, ~270,000 registered persons (8 % with a benefit), a rent account
with 12 monthly periods for 97 % of the dwellings, a water account for every dwelling, 45,000
network payments after the snapshots' `payments_through` (so the current-debt selector subtracts
real payments), temporary absences for 1 % of persons and 600 register changes per office in the
report month.

It then renders every report page of one office as its clerk (HTML and XLSX, through the Django
test client: view, queries, template), issues the office's monthly change reports and both
certificates, and downloads the city-wide debtors XLSX as the information centre. Each figure is
the median of `--runs` runs (the export: one run).

Targets (issue 7): every report of one office < 2 s; the city-wide debtors export < 10 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

OFFICES = 12
STREETS = 700
FLATS_PER_BUILDING = 50
MONTHS = 12
LAST_PERIOD = dt.date(2026, 10, 1)
BATCH = 5000
SURNAMES = [
    "Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Шевченко", "Бойко", "Мельник", "Шевчук",
    "Поліщук", "Лисенко", "Марченко", "Савченко", "Руденко", "Мороз", "Кравчук", "Гаврилюк",
]  # fmt: skip
NAMES = ["Андрій", "Ірина", "Василь", "Оксана", "Юрій", "Марія", "Ігор", "Олена"]
BENEFITS = {"VET": "Ветеран війни", "INV1": "Особа з інвалідністю I групи", "CHOR": "Чорнобилець", "BAG": "Багатодітна сім'я", "PENS": "Пенсіонер"}  # fmt: skip


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merezha.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _database_url(tmp: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{tmp / 'bench.sqlite3'}"
    import psycopg

    base, _, name = url.rpartition("/")
    name = (name.split("?")[0] or "merezha") + "_bench_housing"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def _months() -> list[dt.date]:
    out = [LAST_PERIOD]
    while len(out) < MONTHS:
        out.insert(0, (out[0] - dt.timedelta(days=1)).replace(day=1))
    return out


def _month_end(m: dt.date) -> dt.date:
    return (m + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def generate(*, dwellings: int, seed: int, say: Callable[[str], None]) -> dict[str, Any]:
    from django.db import transaction

    from merezha.core.money import Money
    from merezha.core.roles import OrgKind, Role
    from merezha.organisations.models import Service
    from merezha.organisations.services import organisation_create, user_create
    from merezha.payments.models import Payment, PaymentLine
    from merezha.providers.models import Account, AccountPeriod, Snapshot
    from merezha.registry.matching import fold
    from merezha.registry.models import BenefitCategory, Building, Dwelling, Person, RegisterChange, Street

    rng = random.Random(seed)
    started = time.monotonic()
    with transaction.atomic():
        offices = [
            organisation_create(code=f"ZHEK-{i:02d}", name=f"ЖЕК №{i}", kind=OrgKind.HOUSING_OFFICE)
            for i in range(1, OFFICES + 1)
        ]
        rent = organisation_create(code="rent", name="КП «УМК»", kind=OrgKind.PROVIDER)
        water = organisation_create(code="water", name="Водоканал", kind=OrgKind.PROVIDER)
        centre = organisation_create(code="IC", name="Інформаційний центр", kind=OrgKind.INFO_CENTRE)
        point = organisation_create(code="P-1", name="Пункт 1", kind=OrgKind.PAYMENT_POINT)
        users = {
            "clerk": user_create(username="clerk", password="x", organisation=offices[0], role=Role.HOUSING),
            "admin": user_create(username="admin", password="x", organisation=centre, role=Role.ADMIN),
            "cashier": user_create(username="cashier", password="x", organisation=point, role=Role.CASHIER),
        }
        benefits = [BenefitCategory.objects.create(code=c, name=n) for c, n in BENEFITS.items()]
        Street.objects.bulk_create(
            [Street(type="вул.", name=f"Вулиця {i:03d}", key=fold(f"Вулиця {i:03d}")) for i in range(STREETS)]
        )
        streets = list(Street.objects.order_by("id"))
        n_buildings = -(-dwellings // FLATS_PER_BUILDING)
        Building.objects.bulk_create(
            [
                Building(
                    street=streets[i % STREETS],
                    number=str(i // STREETS + 1),
                    key=str(i // STREETS + 1),
                    office=offices[i * OFFICES // n_buildings],
                )
                for i in range(n_buildings)
            ],
            batch_size=BATCH,
        )
        buildings = list(Building.objects.order_by("id"))
        Dwelling.objects.bulk_create(
            (
                Dwelling(
                    building=b,
                    apartment=str(f + 1),
                    apartment_key=str(f + 1),
                    office_id=b.office_id,
                    office_ref=f"{b.pk}-{f + 1}",
                    area=f"{rng.randint(280, 1100) / 10:.2f}",
                )
                for b in buildings
                for f in range(FLATS_PER_BUILDING)
            ),
            batch_size=BATCH,
        )
        dwelling_rows = list(Dwelling.objects.order_by("id").values_list("id", "office_id"))[:dwellings]
        say(f"  {len(streets)} streets, {len(buildings)} buildings, {len(dwelling_rows)} dwellings")
        persons: list[Person] = []
        occupied: dict[int, int] = {}
        since = dt.date(2015, 1, 1)
        for did, _office in dwelling_rows:
            n = rng.choices([0, 1, 2, 3, 4, 5], weights=[4, 22, 28, 24, 15, 7])[0]
            occupied[did] = n
            for k in range(n):
                surname = rng.choice(SURNAMES)
                persons.append(
                    Person(
                        dwelling_id=did,
                        surname=surname,
                        name=rng.choice(NAMES),
                        birth_date=dt.date(rng.randint(1940, 2024), rng.randint(1, 12), rng.randint(1, 28)),
                        relation="head" if k == 0 else rng.choice(["spouse", "child", "parent", "other"]),
                        benefit=rng.choice(benefits) if rng.random() < 0.08 else None,
                        surname_key=fold(surname),
                        registered_from=since,
                    )
                )
        Person.objects.bulk_create(persons, batch_size=BATCH)
        say(f"  {len(persons)} persons")

        months = _months()
        services = {s.code: s for s in Service.objects.all()}
        snaps = {
            m: Snapshot.objects.create(
                provider=rent, period=m, payments_through=_month_end(m), status=Snapshot.Status.APPLIED
            )
            for m in months
        }
        water_snap = Snapshot.objects.create(
            provider=water, period=LAST_PERIOD, payments_through=_month_end(LAST_PERIOD), status="applied"
        )
        accounts: list[Account] = []
        histories: list[list[tuple[int, int]]] = []
        for did, _office in dwelling_rows:
            accounts.append(
                Account(
                    provider=water,
                    number=f"W{did}",
                    service=services["water"],
                    dwelling_id=did,
                    match_status="matched",
                    street="x",
                    house="x",
                    payer="",
                    closing=Money(rng.randint(-5000, 40000)),
                    snapshot=water_snap,
                )
            )
            # 3 % without rent (anomalies when someone is registered); 1 % charged with nobody registered
            if rng.random() < 0.03:
                continue
            charge = rng.randint(300, 1500) * 100
            habit = rng.choices(["pays", "late", "never", "over"], weights=[60, 25, 10, 5])[0]
            balance = 0
            history = []
            for _m in months:
                balance += charge
                if habit == "pays" or (habit == "late" and rng.random() < 0.6):
                    balance -= min(balance, charge * rng.choice([1, 1, 2]))
                elif habit == "over":
                    balance -= charge + rng.randint(1, 50) * 100
                history.append((charge, balance))
            histories.append(history)
            accounts.append(
                Account(
                    provider=rent,
                    number=f"R{did}",
                    service=services["rent"],
                    dwelling_id=did,
                    match_status="matched",
                    street="x",
                    house="x",
                    payer=f"payer {did}",
                    closing=Money(balance),
                    snapshot=snaps[LAST_PERIOD],
                )
            )
        Account.objects.bulk_create(accounts, batch_size=BATCH)
        rent_accounts = [a for a in accounts if a.number.startswith("R")]
        periods = (
            AccountPeriod(
                snapshot=snaps[m],
                account_id=a.pk,
                period=m,
                charged=Money(ch),
                closing=Money(cl),
            )
            for a, history in zip(rent_accounts, histories, strict=True)
            for m, (ch, cl) in zip(months, history, strict=True)
        )
        AccountPeriod.objects.bulk_create(periods, batch_size=BATCH)
        say(f"  {len(accounts)} accounts ({len(rent_accounts)} rent, {len(rent_accounts) * MONTHS} periods)")

        # 45,000 network payments on three days after payments_through
        payments: list[Payment] = []
        lines: list[PaymentLine] = []
        for i in range(45_000):
            day = dt.date(2026, 11, 2 + i // 15_000)
            acc = rng.choice(rent_accounts)
            amount = Money(rng.randint(100, 2000) * 100)
            p = Payment(
                point=point,
                cashier=users["cashier"],
                operational_day=day,
                number=i % 15_000 + 1,
                receipt=f"B-{i}",
                accepted_at=dt.datetime(day.year, day.month, day.day, 10, tzinfo=dt.UTC),
                method="cash",
                total=amount,
                idempotency_key=f"bench-{i}",
            )
            payments.append(p)
            lines.append(
                PaymentLine(
                    payment=p,
                    account_id=acc.pk,
                    provider=rent,
                    operational_day=day,
                    point=point,
                    amount=amount,
                )
            )
        Payment.objects.bulk_create(payments, batch_size=BATCH)
        PaymentLine.objects.bulk_create(lines, batch_size=BATCH)
        say(f"  {len(payments)} network payments")

        office = offices[0]
        office_persons = list(Person.objects.filter(dwelling__office=office).values_list("id", "dwelling_id"))
        from merezha.housing.models import Absence

        Absence.objects.bulk_create(
            [
                Absence(
                    office=office,
                    person_id=pid,
                    date_from=dt.date(2026, rng.randint(8, 10), rng.randint(1, 20)),
                    date_to=dt.date(2026, 10, 28),
                    reason="bench",
                )
                for pid, _d in rng.sample(office_persons, len(office_persons) // 100)
            ]
        )
        changes = []
        for o in offices:
            office_dwellings = [d for d, off in dwelling_rows if off == o.pk]
            for _ in range(600 if office_dwellings else 0):
                did = rng.choice(office_dwellings)
                kind, field, old, new = rng.choice(
                    [
                        ("arrived", "", "", ""),
                        ("left", "reason", "", "moved_out"),
                        ("born", "", "", ""),
                        ("died", "reason", "", "died"),
                        ("dwelling_changed", "area", "50.00", "51.00"),
                        ("person_changed", "benefit", "", "VET"),
                        ("person_changed", "relation", "child", "head"),
                    ]
                )
                changes.append(
                    RegisterChange(
                        office=o,
                        dwelling_id=did,
                        kind=kind,
                        field=field,
                        old_value=old,
                        new_value=new,
                        effective_date=dt.date(2026, 10, rng.randint(1, 31)),
                        source="manual",
                    )
                )
        RegisterChange.objects.bulk_create(changes, batch_size=BATCH)
    return {
        "office": offices[0],
        "users": users,
        "dwellings": len(dwelling_rows),
        "persons": len(persons),
        "office_dwellings": sum(1 for _d, off in dwelling_rows if off == offices[0].pk),
        "seconds": time.monotonic() - started,
        "sample_dwelling": next(d for d, off in dwelling_rows if off == offices[0].pk and occupied[d] > 0),
    }


def _timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def _get(client: Any, url: str) -> Callable[[], int]:
    def run() -> int:
        r = client.get(url)
        if r.status_code != 200:
            raise SystemExit(f"{url}: HTTP {r.status_code}")
        body = b"".join(r.streaming_content) if r.streaming else r.content
        return len(body)

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dwellings", type=int, default=110_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file (its path is printed)")
    parser.add_argument(
        "--reuse", metavar="SQLITE_FILE", help="time an already generated SQLite file (kept with --keep)"
    )
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-housing-"))
    url = f"sqlite:///{args.reuse}" if args.reuse else _database_url(tmp)
    os.environ.setdefault("MEREZHA_HOME", str(tmp))
    _setup(url)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    def say(text: str) -> None:
        print(text, flush=True)

    say(f"database: {connection.vendor} ({url if connection.vendor == 'sqlite' else url.rpartition('/')[2]})")
    call_command("migrate", interactive=False, verbosity=0)
    city = _existing() if args.reuse else generate(dwellings=args.dwellings, seed=args.seed, say=say)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    say(
        f"generated in {city['seconds']:.1f} s; office {city['office'].code}: {city['office_dwellings']} dwellings\n"
    )

    clerk = Client()
    clerk.force_login(city["users"]["clerk"])
    admin = Client()
    admin.force_login(city["users"]["admin"])
    d = city["sample_dwelling"]
    checks: list[tuple[str, str, float, Callable[[], Any], int]] = [
        (
            "find a dwelling",
            "/housing/?q=Вулиця 001, 1, кв. 7",
            2.0,
            _get(clerk, "/housing/?q=Вулиця 001, 1, кв. 7"),
            args.runs,
        ),
        (
            "dwelling page",
            f"/housing/dwellings/{d}/",
            2.0,
            _get(clerk, f"/housing/dwellings/{d}/"),
            args.runs,
        ),
    ]
    for name, path in (
        ("rent debt by building", "/housing/reports/debt/"),
        ("debtors", "/housing/reports/debtors/"),
        ("debtors ≥ 3 months", "/housing/reports/debtors/?min_months=3"),
        ("beneficiaries", "/housing/reports/beneficiaries/"),
        ("rent recalculation", "/housing/reports/recalculation/?from=2026-08&to=2026-10"),
        ("rent vs. residents", "/housing/reports/rent-anomalies/"),
    ):
        checks.append((name, path, 2.0, _get(clerk, path), args.runs))
        sep = "&" if "?" in path else "?"
        checks.append(
            (
                f"{name} XLSX",
                f"{path}{sep}format=xlsx",
                2.0,
                _get(clerk, f"{path}{sep}format=xlsx"),
                args.runs,
            )
        )
    checks += [
        ("charts", "/housing/reports/charts/", 2.0, _get(clerk, "/housing/reports/charts/"), args.runs),
        (
            "family composition PDF",
            "POST certificates/family",
            2.0,
            lambda: len(clerk.post(f"/housing/dwellings/{d}/certificates/family/").content),
            args.runs,
        ),
        (
            "payment status PDF",
            "POST certificates/payments",
            2.0,
            lambda: len(clerk.post(f"/housing/dwellings/{d}/certificates/payments/").content),
            args.runs,
        ),
        ("change reports 2026-10", "change_report_issue", 2.0, lambda: _issue(city["office"]), 1),
        ("city-wide debtors XLSX", "/debtors/export.xlsx", 10.0, _get(admin, "/debtors/export.xlsx"), 1),
    ]
    rows = []
    failed = 0
    for name, what, target, fn, runs in checks:
        seconds, size = _timed(fn, runs)
        ok = seconds < target
        failed += not ok
        rows.append((name, seconds, target, seconds / target, size, "ok" if ok else "SLOW", what))
        say(f"  {name}: {seconds:.3f} s")
    say("")
    say(f"{'what':<28} {'seconds':>8} {'target':>7} {'ratio':>6} {'bytes/rows':>11}  verdict")
    for name, seconds, target, ratio, size, verdict, _what in rows:
        say(f"{name:<28} {seconds:>8.3f} {target:>7.1f} {ratio:>6.2f} {size:>11}  {verdict}")
    say(
        f"\n{connection.vendor}: {city['dwellings']} dwellings, {city['persons']} persons; {failed} over target"
    )
    if args.keep and not args.reuse:
        say(f"kept: {tmp / 'bench.sqlite3'}")
    if not args.keep and not args.reuse and connection.vendor == "sqlite":
        import shutil

        connection.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


def _existing() -> dict[str, Any]:
    from merezha.housing.models import ChangeReport
    from merezha.organisations.models import Organisation, User
    from merezha.registry.models import Dwelling, Person

    office = Organisation.objects.get(code="ZHEK-01")
    ChangeReport.objects.all().delete()
    return {
        "office": office,
        "users": {u.username: u for u in User.objects.filter(username__in=["clerk", "admin", "cashier"])},
        "dwellings": Dwelling.objects.count(),
        "persons": Person.objects.count(),
        "office_dwellings": Dwelling.objects.filter(office=office).count(),
        "seconds": 0.0,
        "sample_dwelling": Person.objects.filter(dwelling__office=office).order_by("id").first().dwelling_id,  # type: ignore[union-attr]
    }


def _issue(office: Any) -> int:
    from merezha.housing.services import change_report_issue

    return sum(r.line_count for r in change_report_issue(office=office, month=dt.date(2026, 10, 1)))


if __name__ == "__main__":
    sys.exit(main())
