"""Benchmark: a city-scale provider snapshot import against raw COPY of the same file.

    python -m bench.snapshot_import [--rows 600000] [--dwellings N] [--keep]

Builds a fresh database (SQLite: a temporary file; PostgreSQL: `<DATABASE_URL's name>_bench`,
dropped and created), a generated register (one dwelling per six accounts, a few residents each),
and two synthetic snapshot CSVs written with `formats.writers` (October and November): six services
per dwelling, 1 % of the accounts on a street the city does not have, a few payers not registered in
their dwelling, every figure different in November. It then runs three imports, each in a child
process whose peak resident memory it measures, together with that of the import's reader process
(a big file is read and checked in a process of its own): October (every account is created), November (a new
period: every balance changes, as in a provider's monthly upload) and November again (nothing
changes). On PostgreSQL it also times raw `COPY` of the same file into a bare table of text columns
and prints the ratio, then the floor of any monthly import: COPY plus the two writes it cannot skip
(every account's period figures and its new balance), and the floor of a provider's first import
(COPY, every account created, its period figures), each timed on the same database and rolled back.

Targets (issue 3): PostgreSQL ≥ 0.35 of COPY's rows/s; SQLite ≥ 30,000 rows/s; peak memory < 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SERVICES = ("water", "sewer", "heat", "hot_water", "rent", "waste")
SURNAMES = [
    "Коваленко",
    "Бондаренко",
    "Ткаченко",
    "Кравченко",
    "Шевченко",
    "Бойко",
    "Мельник",
    "Шевчук",
    "Поліщук",
    "Лисенко",
    "Марченко",
    "Савченко",
    "Руденко",
    "Мороз",
    "Кравчук",
    "Гаврилюк",
    "Олійник",
    "Петренко",
    "Іваненко",
    "Романюк",
]
NAMES = ["Андрій", "Ірина", "Василь", "Оксана", "Юрій", "Марія", "Ігор", "Олена"]
STREETS = 200


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merezha.settings")
    import django

    django.setup()


def _bench_database_url(tmp: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{tmp / 'bench.sqlite3'}"
    import psycopg

    base, _, name = url.rpartition("/")
    name = (name.split("?")[0] or "merezha") + "_bench"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def _generate_register(dwellings: int, seed: int) -> list[tuple[int, str, str, str, str]]:
    """Streets, buildings, dwellings and residents; returns (dwelling, street, house, apartment, payer)."""
    from merezha.core.roles import OrgKind
    from merezha.organisations.services import organisation_register
    from merezha.registry.matching import apartment_key, fold, house_key
    from merezha.registry.models import Building, Dwelling, Person, Street

    rnd = random.Random(seed)
    office, _ = organisation_register(code="BENCH-ZHEK", name="BENCH-ZHEK", kind=OrgKind.HOUSING_OFFICE)
    streets = Street.objects.bulk_create(
        [Street(type="вул.", name=f"Тестова {i}", key=fold(f"Тестова {i}")) for i in range(STREETS)]
    )
    per_building = 40
    n_buildings = max(1, dwellings // per_building + 1)
    buildings = Building.objects.bulk_create(
        [
            Building(
                street=streets[i % STREETS],
                number=str(i // STREETS + 1),
                key=house_key(str(i // STREETS + 1)),
                office=office,
            )
            for i in range(n_buildings)
        ],
        batch_size=5000,
    )
    rows: list[tuple[int, str, str, str, str]] = []
    batch: list[Dwelling] = []
    for i in range(dwellings):
        b = buildings[i // per_building]
        apt = str(i % per_building + 1)
        batch.append(
            Dwelling(
                building=b, apartment=apt, apartment_key=apartment_key(apt), office=office, office_ref=f"D{i}"
            )
        )
    created = Dwelling.objects.bulk_create(batch, batch_size=5000)
    persons: list[Person] = []
    street_names = {s.pk: s.name for s in streets}
    building_by_id = {b.pk: b for b in buildings}
    for d in created:
        surname = rnd.choice(SURNAMES)
        for _ in range(rnd.randint(1, 3)):
            persons.append(
                Person(dwelling=d, surname=surname, name=rnd.choice(NAMES), surname_key=fold(surname))
            )
        b = building_by_id[d.building_id]
        payer = surname if rnd.random() > 0.02 else rnd.choice(SURNAMES) + "ич"
        rows.append(
            (d.pk, "вул. " + street_names[b.street_id], b.number, d.apartment, f"{payer} {rnd.choice(NAMES)}")
        )
        if len(persons) >= 20000:
            Person.objects.bulk_create(persons, batch_size=5000)
            persons.clear()
    Person.objects.bulk_create(persons, batch_size=5000)
    return rows


def _write_snapshot(path: Path, register: list[tuple[int, str, str, str, str]], rows: int, seed: int) -> int:
    from merezha.demo.seed import SNAPSHOT_COLUMNS
    from merezha.formats.writers import Column, write_csv

    rnd = random.Random(seed)
    # the exchange-v1 §2 columns, as plain CSV text (no DBF types)
    columns = [Column(c.name) for c in SNAPSHOT_COLUMNS]

    def money(k: int) -> str:
        sign = "-" if k < 0 else ""
        return f"{sign}{abs(k) // 100},{abs(k) % 100:02d}"

    def generate() -> Any:
        n = 0
        while n < rows:
            for _dwelling, street, house, apartment, payer in register:
                for service in SERVICES:
                    if n >= rows:
                        return
                    street_text = "вул. Неіснуюча" if rnd.random() < 0.01 else street
                    opening = rnd.randint(-5000, 100000)
                    charged = rnd.randint(0, 200000)
                    benefit = rnd.randint(0, 3000) if rnd.random() < 0.2 else 0
                    subsidy = rnd.randint(0, 5000) if rnd.random() < 0.1 else 0
                    paid = rnd.randint(0, 200000)
                    closing = opening + charged - benefit - subsidy - paid
                    yield (
                        f"L{n:08d}",
                        service,
                        street_text,
                        house,
                        apartment,
                        payer,
                        "",
                        money(opening),
                        money(charged),
                        "0",
                        money(benefit),
                        money(subsidy),
                        money(paid),
                        money(closing),
                    )
                    n += 1

    return write_csv(path, columns, generate())


def _rss_kb(pid: int) -> int:
    """Resident memory of a process (Linux /proc), in KiB; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                found += [int(c) for c in fh.read().split()]
    except OSError:
        pass
    return found


class _MemorySampler:
    """Peak resident memory of this process and its children together (the snapshot reader process),
    sampled every 20 ms. A forked child's own peak (`RUSAGE_CHILDREN`) would count the pages it
    shared with this process before it started the reader program."""

    def __init__(self) -> None:
        import threading

        self.peak_kb = self.peak_children_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.02):
            children = sum(_rss_kb(c) for c in _children(me))
            self.peak_kb = max(self.peak_kb, _rss_kb(me) + children)
            self.peak_children_kb = max(self.peak_children_kb, children)

    def __enter__(self) -> _MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def child(database_url: str, file: str, month: str) -> None:
    """Run one import in this (child) process and print its figures as JSON."""
    import datetime as dt
    import resource

    _setup_django(database_url)
    from merezha.core.roles import OrgKind
    from merezha.organisations.services import organisation_register
    from merezha.providers.services import snapshot_import

    provider, _ = organisation_register(code="BENCH-PROVIDER", name="BENCH-PROVIDER", kind=OrgKind.PROVIDER)
    started = time.perf_counter()
    cpu_started = time.process_time()
    period = dt.date.fromisoformat(f"{month}-01")
    through = (period + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    with _MemorySampler() as memory:
        report = snapshot_import(file, provider=provider, period=period, payments_through=through)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    reader_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    # this process's own peak is exact; the sampled sum adds the reader process
    peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, memory.peak_kb)
    print(
        json.dumps(
            {
                "rows": report.rows_applied,
                "elapsed": elapsed,
                "cpu": cpu,
                "reader_cpu": reader_cpu.ru_utime + reader_cpu.ru_stime,
                "peak_mb": peak_kb / 1024,
                "reader_peak_mb": memory.peak_children_kb / 1024,
                "changes": report.changes,
                "notes": report.notes,
            }
        )
    )


def _raw_copy(database_url: str, file: Path) -> float:
    import psycopg

    from merezha.demo.seed import SNAPSHOT_COLUMNS

    with psycopg.connect(database_url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_bare")
        cols = ", ".join(f"{c.name} text" for c in SNAPSHOT_COLUMNS)
        conn.execute(f"CREATE TABLE bench_bare ({cols})")
        conn.commit()
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy("COPY bench_bare FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER ';')") as copy,
            open(file, "rb") as fh,
        ):
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                copy.write(chunk)
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_bare")
        conn.commit()
    return elapsed


def _floor(database_url: str) -> tuple[float, float, float, float]:
    """Seconds PostgreSQL needs for the writes no import can skip, with no validation, matching or
    staging at all, each timed on the same database and rolled back.

    A monthly import: a new period's figures for every account (plain INSERT into the real history
    table) and every account's new balance (UPDATE of the accounts). A provider's first import (the
    slowest run): every account created (INSERT into an empty table of the accounts' shape: its
    columns, indexes and fill factor, without foreign keys) and its period figures (INSERT into an
    empty table of the history's shape). Returns (period rows, balances, first accounts, first
    period rows)."""
    import psycopg

    columns = "snapshot_id, account_id, period, opening, charged, recalc, benefit, subsidy, paid, closing"
    figures = "closing, 100, 0, 0, 0, 100, closing"
    with psycopg.connect(database_url) as conn:
        conn.execute("SET work_mem = '128MB'")
        started = time.perf_counter()
        conn.execute(
            f"""INSERT INTO providers_accountperiod ({columns})
               SELECT snapshot_id, id, DATE '2099-01-01', {figures} FROM providers_account"""
        )
        history = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute("UPDATE providers_account SET closing = closing + 1")
        balances = time.perf_counter() - started
        conn.rollback()

        options = conn.execute(
            "SELECT COALESCE(array_to_string(reloptions, ', '), '') FROM pg_class WHERE relname = 'providers_account'"
        ).fetchone()
        assert options is not None
        with_options = f"WITH ({options[0]})" if options[0] else ""
        conn.execute(
            f"CREATE TABLE bench_first_account (LIKE providers_account INCLUDING ALL) {with_options}"
        )
        conn.execute("CREATE TABLE bench_first_period (LIKE providers_accountperiod INCLUDING ALL)")
        started = time.perf_counter()
        conn.execute("INSERT INTO bench_first_account SELECT * FROM providers_account")
        first_accounts = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute(
            f"""INSERT INTO bench_first_period ({columns})
               SELECT snapshot_id, id, DATE '2099-01-01', {figures} FROM providers_account"""
        )
        first_history = time.perf_counter() - started
        conn.rollback()
    return history, balances, first_accounts, first_history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=600_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--dwellings",
        type=int,
        default=0,
        help="dwellings in the register (default: one per six rows); fewer, and the file gives a dwelling "
        "more accounts, to see what the file's size alone costs",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (file, SQLite database)"
    )
    parser.add_argument("--child", nargs=3, metavar=("DATABASE_URL", "FILE", "MONTH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    tmp = Path(tempfile.mkdtemp(prefix="merezha-bench-"))
    os.environ.setdefault("MEREZHA_HOME", str(tmp))
    database_url = _bench_database_url(tmp)
    _setup_django(database_url)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    t0 = time.perf_counter()
    register = _generate_register(args.dwellings or max(1, args.rows // len(SERVICES)), args.seed)
    file = tmp / "snapshot.csv"
    written = _write_snapshot(file, register, args.rows, args.seed)
    next_month = tmp / "snapshot-next.csv"
    _write_snapshot(next_month, register, args.rows, args.seed + 1)
    prepare = time.perf_counter() - t0
    connection.close()
    size_mb = file.stat().st_size / 1e6

    runs = []
    for path, month in ((file, "2026-10"), (next_month, "2026-11"), (next_month, "2026-11")):
        out = subprocess.run(
            [sys.executable, "-m", "bench.snapshot_import", "--child", database_url, str(path), month],
            check=True,
            capture_output=True,
            text=True,
            env=os.environ.copy(),
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))

    copy_elapsed = _raw_copy(database_url, file) if vendor == "postgresql" else None
    floor = _floor(database_url) if vendor == "postgresql" else None

    print(
        f"snapshot import benchmark on {vendor}: {written} rows, {size_mb:.1f} MB CSV, {len(register)} dwellings "
        f"(prepared in {prepare:.1f} s)"
    )
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"{'run':<34}{'seconds':>10}{'rows/s':>12}{'CPU s':>8}{'reader CPU s':>14}{'rows/CPU s':>12}"
        f"{'peak MB':>10}{'reader MB':>11}"
    )
    names = ("October (accounts created)", "November (balances changed)", "November again (unchanged)")
    for name, r in zip(names, runs, strict=True):
        print(
            f"{name:<34}{r['elapsed']:>10.2f}{r['rows'] / r['elapsed']:>12,.0f}{r['cpu']:>8.2f}"
            f"{r['reader_cpu']:>14.2f}{r['rows'] / (r['cpu'] + r['reader_cpu']):>12,.0f}"
            f"{r['peak_mb']:>10.0f}{r['reader_peak_mb']:>11.0f}"
        )
    print(
        "CPU s: the import's process; reader CPU s: its reader process (big files are read and checked "
        "there); peak MB: both processes together"
    )
    worst = max(runs, key=lambda r: r["elapsed"])
    slowest_rate = written / worst["elapsed"]
    peak = max(r["peak_mb"] for r in runs)
    for name, r in zip(names, runs, strict=True):
        print(f"changes, {name}: {r['changes']}")
    print(runs[0]["notes"][1])
    if copy_elapsed is not None:
        copy_rate = written / copy_elapsed
        ratio = slowest_rate / copy_rate
        print(f"{'raw COPY into a bare table':<34}{copy_elapsed:>10.2f}{copy_rate:>12,.0f}{'':>10}")
        print(
            f"ratio import/COPY (slowest run): {ratio:.2f} (target >= 0.35: {'met' if ratio >= 0.35 else 'NOT met'})"
        )
    if copy_elapsed is not None and floor is not None:
        history, balances, first_accounts, first_history = floor
        least = copy_elapsed + history + balances
        print(
            f"floor of a monthly import, no checks at all: COPY {copy_elapsed:.2f} + period rows {history:.2f} "
            f"+ balances {balances:.2f} = {least:.2f} s, best possible ratio {copy_elapsed / least:.2f}"
        )
        first = copy_elapsed + first_accounts + first_history
        print(
            f"floor of a first import (the slowest run), no checks at all: COPY {copy_elapsed:.2f} + accounts "
            f"{first_accounts:.2f} + period rows {first_history:.2f} = {first:.2f} s, best possible ratio "
            f"{copy_elapsed / first:.2f}"
        )
    else:
        print(
            f"rows/s (slowest run): {slowest_rate:,.0f} (target >= 30,000: {'met' if slowest_rate >= 30000 else 'NOT met'})"
        )
    print(f"peak memory: {peak:.0f} MB (target < 300 MB: {'met' if peak < 300 else 'NOT met'})")
    if not args.keep:
        for p in sorted(tmp.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
        tmp.rmdir()
    else:
        print(f"kept {tmp}")


if __name__ == "__main__":
    main()
