"""Search latency of the cashier's box at city scale: p50/p95/p99 of a fixed mix of 1,000 queries.

    python -m bench.search_latency [--queries 1000] [--seed 7]

Runs on the current database (DATABASE_URL, or the embedded SQLite under MEREZHA_HOME). An empty
database is first filled with a synthetic city written directly with `bulk_create` (~110,000
dwellings, ~270,000 residents, 700 streets with former names, one provider's 110,000 accounts;
the streets and households of `merezha.demo.seed.build_city`, with surnames diversified to the
~30,000 distinct ones a real city has); a database that already holds a city is used as it is. The queries
are drawn deterministically from the register itself — addresses spelt in the ways partners write
them, former street names, tax ids, account numbers, surnames (with a first name or initials), the
same with one or two typos, and surnames in Latin — and each is timed through
`dwelling_search`, the selector the desk calls (index look-ups and the result rows). "found" is the
share of queries whose source dwelling is among the 20 results shown.

Targets (issue 4): p95 ≤ 30 ms on PostgreSQL, ≤ 50 ms on SQLite.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merezha.settings")

TARGET_P95_MS = {"postgresql": 30.0, "sqlite": 50.0}
#: the fixed mix: category → how many of 1,000
MIX = {
    "address": 250,
    "former street": 100,
    "tax id": 150,
    "account/id": 50,
    "surname": 200,
    "surname typo": 150,
    "latin surname": 100,
}
_LOOKALIKE = {"а": "a", "о": "o", "е": "e", "с": "c", "р": "p", "і": "i", "х": "x"}
_APOSTROPHES = ["'", "’", "ʼ", "`"]
_NEIGHBOURS = "йцукенгшщзхїфівапролджєячсмитьбю"


def _quirky(rng: random.Random, text: str) -> str:
    roll = rng.random()
    if roll < 0.2:
        text = text.lower()
    elif roll < 0.3:
        text = text.upper()
    if rng.random() < 0.25:
        chars = list(text)
        spots = [i for i, c in enumerate(chars) if c.lower() in _LOOKALIKE]
        for i in rng.sample(spots, min(len(spots), 2)):
            latin = _LOOKALIKE[chars[i].lower()]
            chars[i] = latin.upper() if chars[i].isupper() else latin
        text = "".join(chars)
    if "'" in text:
        text = text.replace("'", rng.choice(_APOSTROPHES + [""]))
    return text


def _typo(rng: random.Random, word: str, edits: int) -> str:
    chars = list(word)
    for _ in range(edits):
        i = rng.randrange(1, len(chars) - 1)
        kind = rng.choice(["sub", "swap", "del"])
        if kind == "sub":
            chars[i] = rng.choice(_NEIGHBOURS)
        elif kind == "swap":
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            del chars[i]
    return "".join(chars)


def _address(rng: random.Random, stype: str, name: str, house: str, apt: str) -> str:
    apt_part = [f", кв. {apt}", f" {apt}", f", {apt}", f" кв.{apt}"]
    house_part = [f" {house}", f", {house}", f", буд. {house}", f" буд.{house}"]
    forms = [f"{stype} {name}", name, f"{name} {stype.rstrip('.')}", f"{stype.rstrip('.')} {name}"]
    text = rng.choice(forms) + rng.choice(house_part) + (rng.choice(apt_part) if apt else "")
    return _quirky(rng, text)


def build_queries(rng: random.Random, total: int) -> list[tuple[str, str, int]]:
    from merezha.providers.models import Account
    from merezha.registry.models import Dwelling, Person, StreetName
    from merezha.search.translit import transliterate

    scale = total / sum(MIX.values())
    want = {k: max(1, round(v * scale)) for k, v in MIX.items()}
    dwellings = list(
        Dwelling.objects.filter(is_active=True)
        .order_by("id")
        .values_list(
            "id",
            "building__street_id",
            "building__street__type",
            "building__street__name",
            "building__number",
            "apartment",
            "office_ref",
        )
    )
    formers: dict[int, list[str]] = defaultdict(list)
    for street_id, name in StreetName.objects.order_by("id").values_list("street_id", "name"):
        formers[street_id].append(name)
    persons = list(
        Person.objects.filter(is_active=True)
        .order_by("id")
        .values_list("dwelling_id", "surname", "name", "patronymic", "tax_id")
    )
    queries: list[tuple[str, str, int]] = []
    for d in rng.sample(dwellings, want["address"]):
        queries.append(("address", _address(rng, d[2], d[3], d[4], d[5]), d[0]))
    renamed = [d for d in dwellings if formers.get(d[1])]
    for d in rng.sample(renamed, min(want["former street"], len(renamed))):
        queries.append(
            ("former street", _address(rng, "", rng.choice(formers[d[1]]), d[4], d[5]).strip(), d[0])
        )
    with_tax = [p for p in persons if len(p[4]) == 10 and p[4].isdigit()]
    for p in rng.sample(with_tax, want["tax id"]):
        queries.append(("tax id", p[4], p[0]))
    accounts = list(
        Account.objects.filter(is_active=True, dwelling__isnull=False)
        .order_by("id")
        .values_list("number", "dwelling_id")[:200_000]
    )
    for _ in range(want["account/id"]):
        if accounts and rng.random() < 0.7:
            number, dwelling_id = rng.choice(accounts)
            queries.append(("account/id", number, dwelling_id))
        else:
            d = rng.choice(dwellings)
            queries.append(("account/id", d[6], d[0]))
    named = [p for p in persons if p[1] and p[2]]
    for p in rng.sample(named, want["surname"]):
        form = rng.choice(
            [
                f"{p[1]} {p[2]}",
                f"{p[1]} {p[2][0]}.",
                f"{p[1]} {p[2][0]}. {p[3][:1]}.",
                f"{p[1]} {p[2]} {p[3]}",
            ]
        )
        queries.append(("surname", _quirky(rng, form), p[0]))
    long_enough = [p for p in named if len(p[1]) >= 5]
    for p in rng.sample(long_enough, want["surname typo"]):
        edits = 2 if len(p[1]) >= 8 and rng.random() < 0.4 else 1
        queries.append(("surname typo", f"{_typo(rng, p[1].lower(), edits)} {p[2]}", p[0]))
    for p in rng.sample(named, want["latin surname"]):
        latin = transliterate(p[1])
        if rng.random() < 0.3:  # an older, Russian-based spelling
            latin = latin.replace("h", "g").replace("y", "i")
        queries.append(("latin surname", f"{latin} {transliterate(p[2])}", p[0]))
    rng.shuffle(queries)
    return queries


_CONSONANTS = "бвгдзклмнпрстхцчш"
_VOWELS = "аеиоуі"
_SUFFIXES = ["енко", "чук", "ук", "юк", "ак", "ич", "ський", "ець", "ишин", "ко", "ів", "ун"]


def _surname(rng: random.Random) -> str:
    stem = "".join(rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(rng.choice([1, 2, 2, 3])))
    return (stem + rng.choice(_CONSONANTS) + rng.choice(_SUFFIXES)).capitalize()


def city_generate(seed: int = 1) -> dict[str, int]:
    """Fill an empty database with a city, set-based (no import files). Returns row counts."""
    import datetime as dt

    from django.db import transaction

    from merezha.core.roles import OrgKind
    from merezha.demo.seed import SCALES, build_city
    from merezha.organisations.models import Organisation
    from merezha.organisations.services import service_ensure
    from merezha.providers.models import Account, Snapshot
    from merezha.registry.matching import apartment_key, fold, house_key
    from merezha.registry.models import Building, Dwelling, Person, Street, StreetName

    rng = random.Random(seed)
    today = dt.date(2026, 11, 1)
    city = build_city(SCALES["city"], seed, Path("/nonexistent"), today)
    with transaction.atomic():
        streets = Street.objects.bulk_create(
            [Street(type=t, name=n, key=fold(n)) for t, n, _f in city.streets]
        )
        StreetName.objects.bulk_create(
            [
                StreetName(street=streets[i], name=f, key=fold(f))
                for i, (_t, _n, fs) in enumerate(city.streets)
                for f in fs
            ]
        )
        offices = {}
        for code in sorted({d.office for d in city.dwellings}):
            offices[code], _ = Organisation.objects.get_or_create(
                code=code, defaults={"name": f"ЖЕК {code}", "kind": OrgKind.HOUSING_OFFICE}
            )
        buildings: dict[tuple[int, str], Building] = {}
        for d in city.dwellings:
            key = (d.street_index, house_key(d.house))
            if key not in buildings:
                buildings[key] = Building(
                    street=streets[d.street_index], number=d.house, key=key[1], office=offices[d.office]
                )
        Building.objects.bulk_create(list(buildings.values()), batch_size=5000)
        dwellings = Dwelling.objects.bulk_create(
            [
                Dwelling(
                    building=buildings[(d.street_index, house_key(d.house))],
                    apartment=d.apartment,
                    apartment_key=apartment_key(d.apartment),
                    office=offices[d.office],
                    office_ref=d.ref,
                    area=d.area,
                )
                for d in city.dwellings
            ],
            batch_size=5000,
        )
        persons = []
        for d, row in zip(city.dwellings, dwellings, strict=True):
            surname = _surname(rng) if rng.random() < 0.6 else None
            for p in d.persons:
                name = surname or p.surname
                persons.append(
                    Person(
                        dwelling=row,
                        surname=name,
                        name=p.name,
                        patronymic=p.patronymic,
                        birth_date=p.birth_date,
                        tax_id=p.tax_id,
                        relation=p.relation,
                        surname_key=fold(name),
                    )
                )
        Person.objects.bulk_create(persons, batch_size=5000)
        provider, _ = Organisation.objects.get_or_create(
            code="BENCH-WATER", defaults={"name": "Водоканал", "kind": OrgKind.PROVIDER}
        )
        water = service_ensure(code="water", name="water")
        snapshot = Snapshot.objects.create(
            provider=provider,
            period=dt.date(2026, 10, 1),
            payments_through=dt.date(2026, 10, 31),
            status=Snapshot.Status.APPLIED,
        )
        heads = {p.dwelling.pk: p for p in reversed(persons)}
        accounts = []
        for row in dwellings:
            head = heads.get(row.pk)
            accounts.append(
                Account(
                    provider=provider,
                    number=f"W{row.office_ref}",
                    service=water,
                    dwelling=row,
                    match_status=Account.Match.MATCHED,
                    street="",
                    house="",
                    apartment=row.apartment,
                    payer=head.full_name if head else "",
                    tax_id=head.tax_id if head else "",
                    closing=rng.randrange(0, 200_000),
                    snapshot=snapshot,
                )
            )
        Account.objects.bulk_create(accounts, batch_size=5000)
    return {
        "streets": len(streets),
        "dwellings": len(dwellings),
        "persons": len(persons),
        "accounts": len(accounts),
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the search index first (timed)")
    parser.add_argument("--slowest", type=int, default=0, help="also list the N slowest queries")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from merezha.registry.models import Dwelling, Person, Street
    from merezha.search.models import SearchEntry, SearchTerm
    from merezha.search.selectors import dwelling_search
    from merezha.search.services import search_index_rebuild

    vendor = connection.vendor
    call_command("migrate", interactive=False, verbosity=0)
    if not Street.objects.exists():
        started = time.perf_counter()
        counts = city_generate(args.seed)
        print(f"generated a city in {time.perf_counter() - started:.0f} s: {counts}")
    dwellings = Dwelling.objects.filter(is_active=True).count()
    if dwellings < 1000:
        sys.exit(f"only {dwellings} dwellings in this database: use an empty database or a city-sized one")
    rebuild_s = None
    if args.rebuild or not SearchEntry.objects.exists():
        started = time.perf_counter()
        search_index_rebuild()
        rebuild_s = time.perf_counter() - started
    rng = random.Random(args.seed)
    queries = build_queries(rng, args.queries)
    for _category, text, _did in queries[:50]:  # warm the caches and the connection
        dwelling_search(query=text, user=None)

    times: dict[str, list[float]] = defaultdict(list)
    found: dict[str, int] = defaultdict(int)
    each: list[tuple[float, str, str]] = []
    for category, text, dwelling_id in queries:
        started = time.perf_counter()
        hits = dwelling_search(query=text, user=None)
        elapsed = (time.perf_counter() - started) * 1000
        times[category].append(elapsed)
        times["all"].append(elapsed)
        each.append((elapsed, category, text))
        if any(h.dwelling_id == dwelling_id for h in hits):
            found[category] += 1
            found["all"] += 1

    print(
        f"search latency on {vendor}: {dwellings} dwellings, {Person.objects.filter(is_active=True).count()} residents, "
        f"{SearchEntry.objects.count()} index entries, {SearchTerm.objects.count()} words"
    )
    if rebuild_s is not None:
        print(f"index rebuild: {rebuild_s:.1f} s")
    print(f"{'queries':<15}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'found':>8}")
    for category in [*MIX, "all"]:
        values = times.get(category)
        if not values:
            continue
        print(
            f"{category:<15}{len(values):>6}{statistics.median(values):>9.1f}{_pct(values, 0.95):>9.1f}"
            f"{_pct(values, 0.99):>9.1f}{max(values):>9.1f}{found[category] / len(values):>8.0%}"
        )
    for elapsed, category, text in sorted(each, reverse=True)[: args.slowest]:
        print(f"  {elapsed:8.1f} ms  {category:<15} {text}")
    target = TARGET_P95_MS.get(vendor)
    if target:
        p95 = _pct(times["all"], 0.95)
        print(
            f"p95 {p95:.1f} ms vs target {target:.0f} ms: ratio {p95 / target:.2f} ({'met' if p95 <= target else 'MISSED'})"
        )


if __name__ == "__main__":
    main()
