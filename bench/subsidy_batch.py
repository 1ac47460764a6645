"""Subsidy batch check at city scale: 10,000 applicants answered in under 30 s (issue 6).

    python -m bench.subsidy_batch [--dwellings 110000] [--applicants 10000] [--months 4] [--seed 1]
                                  [--only sqlite|postgresql]

For each database, a worker process migrates a fresh database and generates a city directly with
bulk_create (the snapshot importer is another branch's): 700 streets, the dwellings, 1–4
residents per dwelling each with a valid РНОКПП, 6 providers × 9 services, ~7 accounts per
dwelling, each with `--months` periods of charges (the rule's history), debts from none to older
than the history. It writes a list of applicants — 70 % by tax id, 25 % by address as people write
it (`буд.`/`кв.`, no street type), 5 % that cannot be matched — as CSV and XLSX, and times
`batch_check_run` on each, then writing both answer files. Target: the 10,000-line check < 30 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import pg_available, pg_drop_database, pg_fresh_database, run_worker, setup_django, table

PROVIDERS = {
    "water": ("water", "sewer"),
    "heat": ("heat", "hot_water"),
    "rent": ("rent", "lift"),
    "waste": ("waste",),
    "gas": ("gas",),
    "power": ("electricity",),
}
#: share of dwellings with each service
SHARE = {
    "water": 1.0,
    "sewer": 1.0,
    "heat": 0.8,
    "hot_water": 0.5,
    "rent": 0.9,
    "lift": 0.4,
    "waste": 1.0,
    "gas": 0.6,
    "electricity": 1.0,
}
SURNAMES = ["Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Шевченко", "Бойко", "Мельник", "Поліщук"]
NAMES = ["Андрій", "Ірина", "Василь", "Оксана", "Юрій", "Марія", "Ігор", "Олена"]



def _tax_id(rnd: random.Random) -> str:
    from stdnum.ua import rntrc

    body = f"{rnd.randint(100000000, 999999999)}"
    return body + rntrc.calc_check_digit(body)


def generate(dwellings: int, months: int, seed: int) -> dict[str, Any]:
    """The city, written straight into the database; returns what the applicant list needs."""
    from merezha.core.roles import OrgKind
    from merezha.organisations.models import Service
    from merezha.organisations.services import organisation_create, provider_service_add
    from merezha.providers.models import Account, AccountPeriod, Snapshot
    from merezha.registry.matching import apartment_key, fold, house_key
    from merezha.registry.models import Building, Dwelling, Person, Street
    from merezha.subsidies.rule import month_back

    rnd = random.Random(seed)
    office = organisation_create(code="BENCH-ZHEK", name="ЖЕК", kind=OrgKind.HOUSING_OFFICE)
    streets = Street.objects.bulk_create(
        [Street(type="вул.", name=f"Тестова {i}", key=fold(f"Тестова {i}")) for i in range(700)]
    )
    per_building = 36
    n_buildings = dwellings // per_building + 1
    buildings = Building.objects.bulk_create(
        [
            Building(
                street=streets[i % 700],
                number=str(i // 700 + 1),
                key=house_key(str(i // 700 + 1)),
                office=office,
            )
            for i in range(n_buildings)
        ],
        batch_size=5000,
    )
    created = Dwelling.objects.bulk_create(
        [
            Dwelling(
                building=buildings[i // per_building],
                apartment=str(i % per_building + 1),
                apartment_key=apartment_key(str(i % per_building + 1)),
                office=office,
                office_ref=f"D{i}",
            )
            for i in range(dwellings)
        ],
        batch_size=5000,
    )
    street_of = {b.pk: streets[i % 700].name for i, b in enumerate(buildings)}
    number_of = {b.pk: b.number for b in buildings}
    heads: list[tuple[int, str, str]] = []  # dwelling, tax id, address as a person writes it
    person_rows: list[tuple[Any, ...]] = []
    person_sql = _insert_sql(
        Person,
        [
            "id",
            "dwelling_id",
            "surname",
            "name",
            "patronymic",
            "tax_id",
            "relation",
            "surname_key",
            "is_active",
        ],
    )
    pid = 0
    for d in created:
        surname = rnd.choice(SURNAMES)
        tax_id = _tax_id(rnd)
        for k in range(rnd.choice((1, 2, 2, 3, 3, 4))):
            pid += 1
            person_rows.append(
                (
                    pid,
                    d.pk,
                    surname,
                    rnd.choice(NAMES),
                    "",
                    tax_id if k == 0 else _tax_id(rnd),
                    "head" if k == 0 else "other",
                    fold(surname),
                    True,
                )
            )
        heads.append(
            (d.pk, tax_id, f"{street_of[d.building_id]} буд. {number_of[d.building_id]} кв. {d.apartment}")
        )
        if len(person_rows) >= 20000:
            _insert(person_sql, person_rows)
    _insert(person_sql, person_rows)

    latest = dt.date(2026, 10, 1)
    periods = [month_back(latest, k) for k in range(months)]
    services = {s.code: s for s in Service.objects.all()}
    snapshots: dict[str, dict[dt.date, Any]] = {}
    providers: dict[str, Any] = {}
    for code, provided in PROVIDERS.items():
        org = organisation_create(code=code, name=code, kind=OrgKind.PROVIDER)
        providers[code] = org
        for s in provided:
            provider_service_add(provider=org, service=services[s])
        snapshots[code] = {
            p: Snapshot.objects.create(
                provider=org,
                period=p,
                payments_through=month_back(p, -1) - dt.timedelta(days=1),
                status=Snapshot.Status.APPLIED,
            )
            for p in periods
        }
    account_sql = _insert_sql(
        Account,
        [
            "id",
            "provider_id",
            "number",
            "service_id",
            "dwelling_id",
            "match_status",
            "street",
            "house",
            "apartment",
            "payer",
            "tax_id",
            "closing",
            "snapshot_id",
            "is_active",
        ],
    )
    period_sql = _insert_sql(
        AccountPeriod, ["id", "snapshot_id", "account_id", "period", "charged", "closing"]
    )
    accounts: list[tuple[Any, ...]] = []
    history: list[tuple[Any, ...]] = []
    aid = hid = 0
    for d in created:
        street = "вул. " + street_of[d.building_id]
        for code, provided in PROVIDERS.items():
            for s in provided:
                if rnd.random() >= SHARE[s]:
                    continue
                monthly = rnd.randint(5000, 250000)
                charges = [monthly + rnd.randint(-2000, 2000) for _ in periods]
                roll = rnd.random()
                if roll < 0.55:
                    closing = -rnd.randint(0, 5000) if roll < 0.1 else 0
                elif roll < 0.85:
                    closing = sum(charges[: rnd.randint(1, 3)])  # within the last three months
                else:
                    closing = sum(charges) + rnd.randint(0, 300000)  # older than the history
                aid += 1
                accounts.append(
                    (
                        aid,
                        providers[code].pk,
                        f"{code[:1].upper()}{d.pk:07d}",
                        services[s].pk,
                        d.pk,
                        "matched",
                        street,
                        number_of[d.building_id],
                        d.apartment,
                        "",
                        "",
                        closing,
                        snapshots[code][latest].pk,
                        True,
                    )
                )
                for k, p in enumerate(periods):
                    hid += 1
                    history.append((hid, snapshots[code][p].pk, aid, p, charges[k], 0))
        if len(history) >= 40000:
            _insert(account_sql, accounts)
            _insert(period_sql, history)
    _insert(account_sql, accounts)
    _insert(period_sql, history)
    _reset_sequences()
    return {"heads": heads, "persons": pid, "accounts": aid, "periods": hid}


def _insert_sql(model: Any, columns: list[str]) -> tuple[str, list[str]]:
    return model._meta.db_table, columns


def _insert(target: tuple[str, list[str]], rows: list[tuple[Any, ...]]) -> None:
    """COPY on PostgreSQL, executemany on SQLite: the fastest bulk insert for generating the bench city."""
    from django.db import connection, transaction

    if not rows:
        return
    table_name, columns = target
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table_name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table_name} ({', '.join(columns)}) VALUES ({marks})", rows)
    rows.clear()


def _reset_sequences() -> None:
    from django.core.management.color import no_style
    from django.db import connection

    from merezha.providers.models import Account, AccountPeriod
    from merezha.registry.models import Person

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Person, Account, AccountPeriod]):
            cursor.execute(sql)


def write_applicants(
    folder: Path, heads: list[tuple[int, str, str]], applicants: int, seed: int
) -> tuple[Path, Path]:
    from merezha.formats.writers import Column, write_csv, write_xlsx

    rnd = random.Random(seed + 7)
    chosen = rnd.sample(heads, applicants)
    rows = []
    for i, (_d, tax_id, address) in enumerate(chosen):
        family = rnd.choice(["", "", "", "", "large", "багатодітна", "foster"])
        if i % 20 == 0:  # 5 %: cannot be matched (no such street, or a wrong check digit)
            rows.append(
                ["", "вул. Неіснуюча, 1, кв. 1", family] if i % 40 == 0 else ["1234567890", "", family]
            )
        elif i % 4 == 1:  # 25 %: by address
            rows.append(["", address, family])
        else:
            rows.append([tax_id, "", family])
    columns = [Column("tax_id"), Column("address"), Column("family_type")]
    csv_path, xlsx_path = folder / "applicants.csv", folder / "applicants.xlsx"
    write_csv(csv_path, columns, rows)
    write_xlsx(xlsx_path, columns, rows)
    return csv_path, xlsx_path


def worker(args: argparse.Namespace) -> None:
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from merezha.core.roles import OrgKind, Role
    from merezha.organisations.services import organisation_create, user_create
    from merezha.subsidies.documents import batch_check_file
    from merezha.subsidies.services import batch_check_run

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    city = generate(args.dwellings, args.months, args.seed)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics, as a database that has lived has
    generated = time.perf_counter() - started
    folder = Path(tempfile.mkdtemp(prefix="subsidy-bench-"))
    csv_path, xlsx_path = write_applicants(folder, city["heads"], args.applicants, args.seed)
    office = organisation_create(code="USZN", name="УСЗН", kind=OrgKind.SUBSIDY_OFFICE)
    officer = user_create(username="officer", password="x" * 12, organisation=office, role=Role.SUBSIDY)
    results: dict[str, Any] = {
        "engine": connection.vendor,
        "dwellings": args.dwellings,
        "persons": city["persons"],
        "accounts": city["accounts"],
        "periods": city["periods"],
        "generate_s": round(generated, 1),
    }
    for name, path in (("csv", csv_path), ("xlsx", xlsx_path)):
        t0 = time.perf_counter()
        check = batch_check_run(user=officer, source=str(path), application_date=dt.date(2026, 11, 15))
        elapsed = time.perf_counter() - t0
        t1 = time.perf_counter()
        size = len(batch_check_file(check=check, file_format="csv"))
        size += len(batch_check_file(check=check, file_format="xlsx"))
        results[name] = {
            "rows": check.rows_read,
            "matched": check.matched,
            "unmatched": check.unmatched,
            "blocked": check.blocked,
            "seconds": round(elapsed, 2),
            "rows_per_s": int(check.rows_read / elapsed),
            "answer_files_s": round(time.perf_counter() - t1, 2),
            "answer_bytes": size,
        }
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dwellings", type=int, default=110_000)
    parser.add_argument("--applicants", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--worker", action="store_true")
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    forwarded = [
        *("--dwellings", str(args.dwellings), "--applicants", str(args.applicants)),
        *("--months", str(args.months), "--seed", str(args.seed)),
    ]
    rows: list[list[Any]] = []
    for engine in ("sqlite", "postgresql"):
        if args.only not in (None, engine):
            continue
        home = tempfile.mkdtemp(prefix="mzh-bench-subsidy-")
        if engine == "postgresql":
            if not pg_available():
                print("PostgreSQL not available; skipped", file=sys.stderr)
                continue
            url = pg_fresh_database("merezha_bench_subsidy")
        else:
            url = f"sqlite:///{home}/bench.sqlite3"
        try:
            r = run_worker("bench.subsidy_batch", url, forwarded, home)
        finally:
            if engine == "postgresql":
                pg_drop_database(url)
        print(f"{r['engine']}: city generated in {r['generate_s']} s", file=sys.stderr)
        for name in ("csv", "xlsx"):
            x = r[name]
            rows.append(
                [
                    r["engine"],
                    name,
                    r["dwellings"],
                    r["persons"],
                    r["accounts"],
                    r["periods"],
                    x["rows"],
                    x["matched"],
                    x["unmatched"],
                    x["blocked"],
                    x["seconds"],
                    x["rows_per_s"],
                    f"{x['seconds'] / 30:.2f}",
                    x["answer_files_s"],
                    r["peak_rss_mb"],
                ]
            )
    headers = [
        "db",
        "file",
        "dwellings",
        "residents",
        "accounts",
        "periods",
        "lines",
        "matched",
        "unmatched",
        "blocked",
        "check s",
        "lines/s",
        "of 30 s",
        "files s",
        "peak MB",
    ]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
