"""Register import at city scale: rows/s and peak memory, on SQLite and PostgreSQL in one run.

    python -m bench.registry_import [--dwellings 110000] [--seed 1] [--only sqlite|postgresql]

Generates the city's registers (one file per housing office, in the rotating partner formats),
then, for each database, imports every file into a fresh database in a worker process and
reports rows/s and the worker's peak resident memory. A second import of the same files (which
must change nothing) is timed too.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench.common import pg_available, pg_drop_database, pg_fresh_database, run_worker, table


def generate(folder: Path, dwellings: int, seed: int) -> None:
    from bench.common import setup_django

    setup_django()
    from merezha.demo.seed import SCALES, build_city, write_registry_files
    from merezha.formats.writers import Column, write_csv

    scale = dataclasses.replace(SCALES["city"], dwellings=dwellings)
    city = build_city(scale, seed, folder, dt.date(2026, 11, 1))
    write_registry_files(city, random.Random(seed), dt.date(2026, 11, 1))
    write_csv(
        folder / "streets.csv",
        [Column("type"), Column("name"), Column("former_names")],
        ([t, n, "|".join(f)] for t, n, f in city.streets),
    )


def worker(folder: Path) -> None:
    from bench.common import setup_django

    setup_django()
    from django.core.management import call_command

    from merezha.core.roles import OrgKind
    from merezha.organisations.services import organisation_register
    from merezha.registry.services import registry_import, streets_import

    call_command("migrate", interactive=False, verbosity=0)
    streets_import(str(folder / "streets.csv"))
    files = sorted(folder.glob("registry-*"))
    rows = 0
    started = time.perf_counter()
    for path in files:
        office, _ = organisation_register(
            code=path.stem.removeprefix("registry-"), name=path.stem, kind=OrgKind.HOUSING_OFFICE
        )
        rows += registry_import(str(path), office=office).rows_applied
    first = time.perf_counter() - started
    started = time.perf_counter()
    changes = 0
    for path in files:
        office, _ = organisation_register(
            code=path.stem.removeprefix("registry-"), name=path.stem, kind=OrgKind.HOUSING_OFFICE
        )
        changes += sum(registry_import(str(path), office=office).changes.values())
    second = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "rows": rows,
                "files": len(files),
                "first_s": first,
                "second_s": second,
                "second_changes": changes,
                "peak_mb": peak_mb,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dwellings", type=int, default=110_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--folder")
    args = parser.parse_args()
    if args.worker:
        worker(Path(args.folder))
        return
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as tmp:
        folder = Path(tmp) / "files"
        folder.mkdir()
        t0 = time.perf_counter()
        generate(folder, args.dwellings, args.seed)
        print(
            f"generated {args.dwellings} dwellings' registers in {time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
        )
        results = []
        if args.only in (None, "sqlite"):
            results.append(
                (
                    "sqlite",
                    run_worker(
                        "bench.registry_import",
                        f"sqlite:///{tmp}/bench.sqlite3",
                        ["--folder", str(folder)],
                        tmp,
                    ),
                )
            )
        if args.only in (None, "postgresql") and pg_available():
            url = pg_fresh_database("merezha_bench")
            try:
                results.append(
                    ("postgresql", run_worker("bench.registry_import", url, ["--folder", str(folder)], tmp))
                )
            finally:
                pg_drop_database(url)
    rows = []
    for db, r in results:
        rows.append(
            [
                db,
                r["rows"],
                r["files"],
                f"{r['first_s']:.1f}",
                f"{r['rows'] / r['first_s']:,.0f}",
                f"{r['second_s']:.1f}",
                r["second_changes"],
                f"{r['peak_mb']:.0f}",
            ]
        )
    print(
        table(
            [
                "database",
                "rows",
                "files",
                "import s",
                "rows/s",
                "re-import s",
                "re-import changes",
                "peak MB",
            ],
            rows,
        )
    )
    if len(results) == 2:
        ratio = (results[1][1]["rows"] / results[1][1]["first_s"]) / (
            results[0][1]["rows"] / results[0][1]["first_s"]
        )
        print(f"ratio postgresql/sqlite rows/s: {ratio:.2f}")


if __name__ == "__main__":
    main()
