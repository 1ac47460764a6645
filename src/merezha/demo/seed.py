"""A deterministic synthetic city, and the exchange files its partners would send.

`seed_city(scale, seed)` creates the street directory, organisations and users for every role,
writes each housing office's register and each provider's snapshots as exchange files — with the
spelling quirks real partners have (street type after the name or missing, capitals, apostrophe
variants, Latin look-alikes, former street names, `буд.`/`кв.` prefixes, `12-А` house numbers,
legacy code pages) — and applies them through the same import services partners use.

The demo and tiny cities have a past: people registered over the years (`registered_from`, births
where a child was born in the dwelling), registers applied a year ago and today
(so people who arrived, were born or left in between are the register's history), twelve months of
rent snapshots, temporary absences (the housing office's rent recalculation) and the change reports
of the last month.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from stdnum.ua import rntrc

from merezha.core.money import Money
from merezha.core.roles import OrgKind, Role
from merezha.demo import names
from merezha.formats.writers import Column, write_csv, write_dbf, write_json, write_xlsx
from merezha.organisations.models import Organisation, User
from merezha.organisations.services import (
    organisation_create,
    organisation_register,
    provider_service_set,
    user_create,
    user_update,
)
from merezha.registry.models import BenefitCategory, Person, Street
from merezha.registry.services import registry_import, streets_import

DEMO_PASSWORD = "merezha"


@dataclass(frozen=True)
class Scale:
    name: str
    streets: int
    dwellings: int
    offices: int
    points: int
    months: int
    #: months of rent snapshots (the housing office's reports look a year back); at least `months`
    rent_months: int = 0
    #: registers applied over the past year, absences and change reports (see `history_build`)
    history: bool = False


SCALES = {
    "demo": Scale("demo", 60, 5_000, 4, 10, 3, rent_months=12, history=True),
    "city": Scale("city", 700, 110_000, 12, 120, 1),
    "tiny": Scale("tiny", 12, 400, 4, 3, 2, rent_months=12, history=True),
}

#: the days (before the seed's `today`) on which the earlier registers of an office were applied
HISTORY_DAYS_BEFORE = (365,)
#: reasons of temporary absences, as housing offices write them
ABSENCE_REASONS = ("навчання", "заробітки за кордоном", "лікування", "служба в ЗСУ", "догляд за родичем")

#: provider code → (name, services with their monthly charge range in kopecks, file format)
PROVIDERS: dict[str, tuple[str, dict[str, tuple[int, int]], str]] = {
    "water": ("КП «Хмельницькводоканал»", {"water": (12000, 60000), "sewer": (8000, 40000)}, "csv"),
    "heat": (
        "МКП «Хмельницьктеплокомуненерго»",
        {"heat": (80000, 300000), "hot_water": (10000, 80000)},
        "dbf866",
    ),
    "rent": (
        "КП «Управляюча муніципальна компанія»",
        {"rent": (30000, 150000), "lift": (4000, 8000)},
        "xlsx",
    ),
    "waste": ("КП «Спецкомунтранс»", {"waste": (6000, 15000)}, "json"),
    "gas": ("Хмельницькгаз збут", {"gas": (10000, 90000)}, "dbf1125"),
    "electricity": ("Хмельницькенергозбут", {"electricity": (30000, 150000)}, "csv1251"),
}
OPERATORS = [("OSCHAD", "АТ «Ощадбанк»"), ("UKRPOSHTA", "АТ «Укрпошта»"), ("PRIVAT", "АТ КБ «ПриватБанк»")]
#: the demo's ЄДРПОУ codes (made up, check digits valid for python-stdnum) of the providers and
#: payment operators, so that bills carry NBU payment QR codes and settlement orders name both sides
EDRPOU = {
    "water": "33561106",
    "heat": "33561174",
    "rent": "33561242",
    "waste": "33561310",
    "gas": "33561389",
    "electricity": "33561457",
    "OSCHAD": "21560005",
    "UKRPOSHTA": "21560134",
    "PRIVAT": "21560269",
}
#: (provider, service) → the provider's receiving IBAN for that service (made up on real bank codes,
#: valid for schwifty); a payment operator → its collecting IBAN, which its payment points pay from
IBANS = {
    ("water", "water"): "UA193004652600010100033561106",
    ("water", "sewer"): "UA783004652600010200033561106",
    ("heat", "heat"): "UA783052992600020100033561174",
    ("heat", "hot_water"): "UA403052992600020200033561174",
    ("rent", "rent"): "UA153223132600030100033561242",
    ("rent", "lift"): "UA743223132600030200033561242",
    ("waste", "waste"): "UA193204782600040100033561310",
    ("gas", "gas"): "UA153808052600050100033561389",
    ("electricity", "electricity"): "UA493005282600060100033561457",
}
OPERATOR_IBANS = {
    "OSCHAD": "UA693004652902001000021560005",
    "UKRPOSHTA": "UA863004652902002000021560134",
    "PRIVAT": "UA103052992902003000021560269",
}
#: the demo users who administer their organisation (`User.is_org_admin`: issue, rotate and revoke
#: its users' API tokens), one for each kind of organisation whose systems call the API
ORG_ADMINS = ("zhek01", "water", "cashier001")

REGISTRY_COLUMNS = [
    Column("dwelling", "KOD", "C", 12),
    Column("street", "STREET", "C", 60),
    Column("house", "HOUSE", "C", 12),
    Column("apartment", "FLAT", "C", 8),
    Column("area", "PLOSCH", "N", 9, 2),
    Column("surname", "FAM", "C", 40),
    Column("name", "IM", "C", 30),
    Column("patronymic", "OT", "C", 30),
    Column("birth_date", "DATAR", "D", 8),
    Column("tax_id", "IDCODE", "C", 10),
    Column("relation", "ROD", "C", 10),
    Column("benefit", "LGCODE", "C", 12),
    Column("registered_from", "DATAREG", "D", 8),
]
SNAPSHOT_COLUMNS = [
    Column("account", "LS", "C", 14),
    Column("service", "USLUGA", "C", 12),
    Column("street", "STREET", "C", 60),
    Column("house", "HOUSE", "C", 12),
    Column("apartment", "FLAT", "C", 8),
    Column("payer", "FIO", "C", 80),
    Column("tax_id", "IDCODE", "C", 10),
    Column("opening", "SALDO_N", "N", 12, 2),
    Column("charged", "NACH", "N", 12, 2),
    Column("recalc", "PERER", "N", 12, 2),
    Column("benefit", "LGOTA", "N", 12, 2),
    Column("subsidy", "SUBS", "N", 12, 2),
    Column("paid", "OPL", "N", 12, 2),
    Column("closing", "SALDO_K", "N", 12, 2),
]


@dataclass
class PersonData:
    surname: str
    name: str
    patronymic: str
    birth_date: dt.date
    tax_id: str
    relation: str
    benefit: str
    #: the day of registration in the dwelling; None: the office does not know it
    registered_from: dt.date | None = None
    #: the day the person left (no longer in the office's registers from then on); None: still here
    left_on: dt.date | None = None


@dataclass
class DwellingData:
    ref: str
    office: str
    street_index: int
    house: str
    apartment: str
    area: str
    persons: list[PersonData] = field(default_factory=list)
    #: people registered here once, who left within the past year (in earlier registers only)
    left: list[PersonData] = field(default_factory=list)


@dataclass
class City:
    streets: list[tuple[str, str, list[str]]]
    dwellings: list[DwellingData]
    folder: Path

    @property
    def shared_names(self) -> frozenset[str]:
        """Names (current or former) that more than one street carries: never written without a type."""
        seen: dict[str, int] = {}
        for _t, name, former in self.streets:
            for n in (name, *former):
                seen[n.lower()] = seen.get(n.lower(), 0) + 1
        return frozenset(n for n, c in seen.items() if c > 1)


@dataclass
class SeedResult:
    folder: Path
    users: list[tuple[str, str, str, str]]  # username, password, role, organisation
    figures: dict[str, Any]


def _masculine(adjective: str) -> str:
    return adjective[:-1] + "ий" if adjective.endswith("а") else adjective


def _streets(rng: random.Random, count: int) -> list[tuple[str, str, list[str]]]:
    pool: list[tuple[str, str]] = [("вул.", n) for n in names.ADJECTIVE_STREETS + names.GENITIVE_STREETS]
    pool += [("пров.", _masculine(n)) for n in names.ADJECTIVE_STREETS]
    pool += [("просп.", n) for n in ("Миру", "Грушевського", "Незалежності")]
    pool += [("бульв.", n) for n in ("Шевченка", "Франка", "Лесі Українки")]
    pool += [("майдан", "Незалежності"), ("пл.", "Соборна"), ("шосе", "Старокостянтинівське")]
    pool += [("тупик", _masculine(n)) for n in names.ADJECTIVE_STREETS[:20]]
    pool += [("проїзд", _masculine(n)) for n in names.ADJECTIVE_STREETS[20:40]]
    n = 2
    while len(pool) < count:
        pool += [("пров.", f"{n}-й {_masculine(a)}") for a in names.ADJECTIVE_STREETS]
        n += 1
    # the sample city's streets come first so that sample files match a seeded city too
    first = [("вул.", "Проскурівська"), ("вул.", "Кам'янецька"), ("вул.", "Свободи"), ("просп.", "Миру")]
    rest = [p for p in pool if p not in first]
    rng.shuffle(rest)
    chosen = (first + rest)[:count]
    formers = list(names.FORMER_NAMES)
    rng.shuffle(formers)
    result: list[tuple[str, str, list[str]]] = []
    for i, (stype, name) in enumerate(chosen):
        former = [formers.pop()] if formers and (name == "Свободи" or (i > 3 and rng.random() < 0.15)) else []
        if name == "Свободи":
            former = ["Комсомольська"]
            if "Комсомольська" in formers:
                formers.remove("Комсомольська")
        result.append((stype, name, former))
    # a former name may not equal any current name of the same type
    current = {(t, n) for t, n, _ in result}
    return [(t, n, [f for f in fs if (t, f) not in current]) for t, n, fs in result]


def _tax_id(rng: random.Random, birth: dt.date, male: bool) -> str:
    days = (birth - dt.date(1899, 12, 31)).days
    serial = rng.randrange(0, 1000) * 10 + (
        rng.choice([1, 3, 5, 7, 9]) if male else rng.choice([0, 2, 4, 6, 8])
    )
    body = f"{days:05d}{serial:04d}"
    return body + rntrc.calc_check_digit(body)


def _person(
    rng: random.Random, surname: str, relation: str, age: int, male: bool, today: dt.date
) -> PersonData:
    birth = today - dt.timedelta(days=age * 365 + rng.randrange(0, 365))
    father = rng.choice(list(names.MALE_NAMES))
    patronymic = names.MALE_NAMES[father][0 if male else 1]
    first = rng.choice(list(names.MALE_NAMES)) if male else rng.choice(names.FEMALE_NAMES)
    has_tax_id = age >= 14 or rng.random() < 0.4
    tax_id = _tax_id(rng, birth, male) if has_tax_id and birth.year >= 1900 else ""
    benefit = ""
    roll = rng.random()
    if age >= 25 and roll < 0.04:
        benefit = "ubd"
    elif age >= 18 and roll < 0.07:
        benefit = rng.choice(["inv1", "inv2"])
    elif age >= 40 and roll < 0.09:
        benefit = "chaes"
    elif age >= 80 and roll < 0.3:
        benefit = "vijny_ditja"
    return PersonData(surname, first, patronymic, birth, tax_id, relation, benefit)


def _household(rng: random.Random, today: dt.date) -> list[PersonData]:
    size = rng.choices(range(7), weights=[8, 20, 28, 22, 13, 6, 3])[0]
    if size == 0:
        return []
    surname = rng.choice(names.SURNAMES)
    head_male = rng.random() < 0.55
    head_age = rng.randint(22, 88)
    people = [_person(rng, surname, "head", head_age, head_male, today)]
    if size >= 2:
        people.append(
            _person(rng, surname, "spouse", max(20, head_age + rng.randint(-6, 6)), not head_male, today)
        )
    for _ in range(size - len(people)):
        if head_age > 60 and rng.random() < 0.3:
            people.append(_person(rng, surname, "other", rng.randint(18, 40), rng.random() < 0.5, today))
        else:
            child_age = max(0, min(head_age - 20, rng.randint(0, 30)))
            people.append(_person(rng, surname, "child", child_age, rng.random() < 0.5, today))
    if size >= 5 and sum(1 for p in people if p.relation == "child") >= 3:
        people[0].benefit = people[0].benefit or "bagatodit"
    return people


def build_city(scale: Scale, seed: int, folder: Path, today: dt.date) -> City:
    rng = random.Random(seed)
    streets = _streets(rng, scale.streets)
    dwellings: list[DwellingData] = []
    office_codes = [f"ZHEK-{i:02d}" for i in range(1, scale.offices + 1)]
    counters = dict.fromkeys(office_codes, 0)
    per_street = max(1, scale.dwellings // len(streets))
    for s_index in range(len(streets)):
        office = office_codes[s_index % len(office_codes)]
        remaining = per_street if s_index < len(streets) - 1 else scale.dwellings - len(dwellings)
        house_no = 0
        while remaining > 0:
            house_no += rng.choice([1, 2, 2, 2])
            house = str(house_no)
            if rng.random() < 0.08:
                house += rng.choice(["а", "б", "/1", "/2", " корп. 2"])
            block = rng.random() < 0.7
            flats = min(remaining, rng.randint(12, 120)) if block else 1
            for flat in range(1, flats + 1):
                counters[office] += 1
                ref = f"{office_codes.index(office) + 1:02d}{counters[office]:06d}"
                area = f"{rng.randint(28, 95) if block else rng.randint(60, 180)}.{rng.randint(0, 9)}"
                d = DwellingData(ref, office, s_index, house, str(flat) if block else "", area)
                d.persons = _household(rng, today)
                dwellings.append(d)
            remaining -= flats
    dwellings = dwellings[: scale.dwellings]
    history_build(dwellings, random.Random(f"history-{seed}"), today, departures=scale.history)
    return City(streets, dwellings, folder)


def _day_between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _adult(birth: dt.date) -> dt.date:
    return birth.replace(year=birth.year + 18, day=min(birth.day, 28))


def history_build(
    dwellings: list[DwellingData], rng: random.Random, today: dt.date, *, departures: bool
) -> None:
    """Registration dates over the years, and (with `departures`) people who left within the year.

    A head of household registered on a day between coming of age (at most 45 years ago) and a
    year ago — one in fifteen within the past year, one in thirty on a day the office does not
    know; a spouse with the head or later; a child born after the head's registration from its
    birth (a birth), otherwise with the head; other relatives on a day of the last ten years.
    A separate random stream: the city itself (people, areas, accounts) is the same with or without.
    """
    year_ago = today - dt.timedelta(days=365)
    for d in dwellings:
        head_since: dt.date | None = None
        for p in d.persons:
            roll = rng.random()
            if p.relation == "head":
                if roll < 0.033:
                    since = None
                elif roll < 0.1:
                    since = _day_between(rng, max(year_ago, _adult(p.birth_date)), today)
                else:
                    first = max(_adult(p.birth_date), today - dt.timedelta(days=45 * 365))
                    since = _day_between(rng, min(first, year_ago), year_ago)
                head_since = since
            elif p.relation == "spouse":
                since = head_since
                if since is not None and roll < 0.15:
                    since = _day_between(rng, since, today)
            elif p.relation == "child":
                since = p.birth_date if head_since is None or p.birth_date > head_since else head_since
            else:
                since = _day_between(rng, max(p.birth_date, today - dt.timedelta(days=3650)), today)
            p.registered_from = max(since, p.birth_date) if since is not None else None
        if departures and d.persons and rng.random() < 0.05:
            surname = d.persons[0].surname
            left = _person(
                rng, surname, rng.choice(["child", "other"]), rng.randint(18, 40), rng.random() < 0.5, today
            )
            left.registered_from = _day_between(
                rng, max(_adult(left.birth_date), today - dt.timedelta(days=3650)), year_ago
            )
            left.left_on = today - dt.timedelta(days=rng.choice(HISTORY_DAYS_BEFORE[1:] + (0,)))
            d.left.append(left)


# --- spelling quirks ------------------------------------------------------------------------------
_LOOKALIKES = str.maketrans({"а": "a", "е": "e", "о": "o", "с": "c", "р": "p", "х": "x", "і": "i"})
_TYPE_WORDS = {
    "вул.": ["вул.", "вулиця", "ул."],
    "пров.": ["пров.", "провулок"],
    "просп.": ["просп.", "проспект"],
}


def street_as_written(
    rng: random.Random,
    street: tuple[str, str, list[str]],
    *,
    quirky: bool,
    shared: frozenset[str] = frozenset(),
) -> str:
    """The street as a partner writes it; the type is dropped only where the name alone is unambiguous."""
    stype, name, former = street
    ambiguous_alone = name.lower() in shared
    if not quirky:
        return f"{stype} {name}"
    if former and rng.random() < 0.3:
        name = former[0]
        ambiguous_alone = name.lower() in shared
    roll = rng.random()
    if roll < 0.1:
        name = name.upper()
    elif roll < 0.2:
        name = name.translate(_LOOKALIKES)
    if "'" in name and rng.random() < 0.5:
        name = name.replace("'", rng.choice(["’", "ʼ", "`"]))
    type_word = rng.choice(_TYPE_WORDS.get(stype, [stype]))
    form = rng.random()
    if form < 0.15 and stype == "вул." and not ambiguous_alone:
        return name
    if form < 0.35:
        return f"{name} {type_word}"
    return f"{type_word} {name}"


def house_as_written(rng: random.Random, house: str, *, quirky: bool) -> str:
    if not quirky:
        return house
    roll = rng.random()
    if roll < 0.1:
        house = "буд. " + house
    if house[-1:] in "аб" and rng.random() < 0.5:
        house = house[:-1] + "-" + house[-1].upper()
    return house


# --- files ----------------------------------------------------------------------------------------
def _registered_on(p: PersonData, day: dt.date | None) -> bool:
    """Whether the person is in a register as of `day` (None: today's register)."""
    if day is None:
        return p.left_on is None
    return (p.registered_from is None or p.registered_from <= day) and (p.left_on is None or p.left_on > day)


def write_registry_files(
    city: City, rng: random.Random, today: dt.date, *, as_of: dt.date | None = None
) -> dict[str, Path]:
    """One complete register per office, in rotating formats (CSV cp1251, DBF cp1125, XLSX, JSON).

    `as_of`: the register as the office kept it on that earlier day (people registered by then who
    had not left yet), written to `registry-<office>-<day>.<ext>`; None: today's register.
    """
    files: dict[str, Path] = {}
    offices = sorted({d.office for d in city.dwellings})
    formats = ["csv1251", "dbf1125", "xlsx", "json"]
    shared = city.shared_names
    for i, office in enumerate(offices):
        fmt = formats[i % len(formats)]

        def rows(office: str = office, csv_dates: bool = fmt == "csv1251") -> Iterator[list[Any]]:
            for d in city.dwellings:
                if d.office != office:
                    continue
                street = street_as_written(
                    rng, city.streets[d.street_index], quirky=rng.random() < 0.2, shared=shared
                )
                base = [d.ref, street, d.house, d.apartment, d.area]
                persons = [p for p in (*d.persons, *d.left) if _registered_on(p, as_of)]
                if not persons:
                    yield [*base, "", "", "", "", "", "", "", ""]
                for p in persons:
                    birth: Any = p.birth_date.strftime("%d.%m.%Y") if csv_dates else p.birth_date
                    since: Any = p.registered_from or ""
                    if csv_dates and p.registered_from:
                        since = p.registered_from.strftime("%d.%m.%Y")
                    yield [
                        *base,
                        *(p.surname, p.name, p.patronymic, birth, p.tax_id, p.relation, p.benefit, since),
                    ]

        path = city.folder / (f"registry-{office}" + (f"-{as_of:%Y-%m-%d}" if as_of else ""))
        if fmt == "csv1251":
            path = path.with_suffix(".csv")
            write_csv(path, REGISTRY_COLUMNS, rows(), encoding="cp1251")
        elif fmt == "dbf1125":
            path = path.with_suffix(".dbf")
            write_dbf(path, REGISTRY_COLUMNS, rows(), encoding="cp1125", today=today)
        elif fmt == "xlsx":
            path = path.with_suffix(".xlsx")
            write_xlsx(path, REGISTRY_COLUMNS, rows(), sheet="registry")
        else:
            path = path.with_suffix(".json")
            write_json(path, REGISTRY_COLUMNS, rows(), metadata={"office": office})
        files[office] = path
    return files


def _month_end(month: dt.date) -> dt.date:
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


def _accounts(city: City, rng: random.Random) -> dict[str, list[tuple[str, str, DwellingData]]]:
    """provider → [(account number, service, dwelling)]: which services each dwelling has."""
    out: dict[str, list[tuple[str, str, DwellingData]]] = {p: [] for p in PROVIDERS}
    prefix = {"water": "W", "heat": "H", "rent": "R", "waste": "S", "gas": "G", "electricity": "E"}
    for n, d in enumerate(city.dwellings):
        flat = bool(d.apartment)
        for provider, (_name, services, _fmt) in PROVIDERS.items():
            if provider == "heat" and not flat and rng.random() < 0.8:
                continue
            if provider == "rent" and not flat:
                continue
            if provider == "gas" and flat and rng.random() < 0.3:
                continue
            number = f"{prefix[provider]}{n:08d}"
            for service in services:
                if service == "lift" and (not flat or int(d.apartment) < 20):
                    continue
                if service == "hot_water" and rng.random() < 0.3:
                    continue
                out[provider].append((number, service, d))
    return out


@dataclass
class _ProviderState:
    services: dict[str, tuple[int, int]]
    accounts: list[tuple[str, str, DwellingData]]
    prng: random.Random
    balance: dict[tuple[str, str], int] = field(default_factory=dict)
    habit: dict[tuple[str, str], int] = field(default_factory=dict)  # share of the due amount paid, in %


def _snapshot_rows(city: City, st: _ProviderState) -> Iterator[list[Any]]:
    """One month of one provider: opening = last closing, and the consistency rule holds to the kopeck."""
    prng = st.prng
    shared = city.shared_names
    for number, service, d in st.accounts:
        key = (number, service)
        low, high = st.services[service]
        if key not in st.balance:
            st.balance[key] = prng.choice([0, 0, prng.randint(-20000, 50000), prng.randint(0, 400000)])
            st.habit[key] = prng.choice([100, 100, 100, 90, 50, 0])
        opening = st.balance[key]
        charged = prng.randint(low, high)
        benefit = charged * prng.choice([25, 50]) // 100 if any(p.benefit for p in d.persons) else 0
        subsidy = charged // 3 if prng.random() < 0.08 else 0
        due = max(0, opening + charged - benefit - subsidy)
        paid = due * st.habit[key] // 100
        closing = opening + charged - benefit - subsidy - paid
        st.balance[key] = closing
        head = d.persons[0] if d.persons else None
        payer = f"{head.surname} {head.name} {head.patronymic}" if head else ""
        quirky = prng.random() < 0.25
        street = street_as_written(prng, city.streets[d.street_index], quirky=quirky, shared=shared)
        house = house_as_written(prng, d.house, quirky=quirky)
        apartment = ""
        if d.apartment:
            apartment = ("кв. " if quirky and prng.random() < 0.3 else "") + d.apartment
        figures = [opening, charged, 0, benefit, subsidy, paid, closing]
        tax_id = head.tax_id if head else ""
        yield [number, service, street, house, apartment, payer, tax_id, *(str(Money(k)) for k in figures)]
    # one account on a street the city does not have: reported back, never guessed
    ghost = [next(iter(st.services)), "вул. Неіснуюча", "1", "1", "Хтось Хтось Хтосьович", ""]
    yield ["X99999999", *ghost, "0.00", "100.00", "0.00", "0.00", "0.00", "0.00", "100.00"]


def write_snapshot_files(
    city: City, rng: random.Random, months: list[dt.date], *, rent_months: list[dt.date] | None = None
) -> dict[str, list[tuple[dt.date, Path]]]:
    """Each provider's snapshots for consecutive months; each closing is the next month's opening.

    `rent_months`: the rent provider's months when it reports a longer past than the others; the
    months before `months` in CSV (the provider's earlier software: XLSX costs the seed seconds a file)."""
    accounts = _accounts(city, rng)
    files: dict[str, list[tuple[dt.date, Path]]] = {}
    for provider, (_name, services, usual) in PROVIDERS.items():
        st = _ProviderState(
            services, accounts[provider], random.Random(f"{provider}-{len(city.dwellings)}-{rng.random()}")
        )
        files[provider] = []
        for month in rent_months if provider == "rent" and rent_months else months:
            fmt = usual if month in months else "csv"
            rows = _snapshot_rows(city, st)
            stem = city.folder / f"snapshot-{provider}-{month:%Y-%m}"
            if fmt == "csv":
                path = stem.with_suffix(".csv")
                comma = ([*r[:7], *(v.replace(".", ",") for v in r[7:])] for r in rows)
                write_csv(path, SNAPSHOT_COLUMNS, comma, encoding="utf-8-sig")
            elif fmt == "csv1251":
                path = stem.with_suffix(".csv")
                write_csv(path, SNAPSHOT_COLUMNS, rows, encoding="cp1251", delimiter=",")
            elif fmt == "dbf866":
                path = stem.with_suffix(".dbf")
                write_dbf(path, SNAPSHOT_COLUMNS, rows, encoding="cp866")
            elif fmt == "dbf1125":
                path = stem.with_suffix(".dbf")
                write_dbf(path, SNAPSHOT_COLUMNS, rows, encoding="cp1125")
            elif fmt == "xlsx":
                path = stem.with_suffix(".xlsx")
                write_xlsx(path, SNAPSHOT_COLUMNS, rows, sheet="snapshot")
            else:
                path = stem.with_suffix(".json")
                meta = {
                    "provider": provider,
                    "period": f"{month:%Y-%m}",
                    "payments_through": _month_end(month).isoformat(),
                }
                write_json(path, SNAPSHOT_COLUMNS, rows, metadata=meta)
            files[provider].append((month, path))
    return files


# --- the whole city -------------------------------------------------------------------------------
def _organisations(scale: Scale, offices: list[str]) -> list[tuple[str, str, str, str]]:
    users: list[tuple[str, str, str, str]] = []
    hashed = make_password(DEMO_PASSWORD)  # one hash for every demo user: seeding stays fast

    def user(username: str, org: Organisation, role: str, full_name: str) -> None:
        user_create(
            username=username,
            password=DEMO_PASSWORD,
            organisation=org,
            role=role,
            full_name=full_name,
            password_hash=hashed,
        )
        users.append((username, DEMO_PASSWORD, role, org.name))

    centre = organisation_create(code="IC", name="Інформаційний центр «Мережа»", kind=OrgKind.INFO_CENTRE)
    user("admin", centre, Role.ADMIN, "Оксана Адміністраторка")
    city = organisation_create(code="CITY", name="Хмельницька міська рада", kind=OrgKind.CITY)
    user("manager", city, Role.MANAGER, "Петро Керівник")
    subsidy = organisation_create(
        code="USZN", name="Управління праці та соцзахисту населення", kind=OrgKind.SUBSIDY_OFFICE
    )
    user("subsidy", subsidy, Role.SUBSIDY, "Галина Субсидієнко")
    for i, code in enumerate(offices, start=1):
        office = organisation_create(code=code, name=f"ЖЕК № {i}", kind=OrgKind.HOUSING_OFFICE)
        user(code.lower().replace("-", ""), office, Role.HOUSING, f"Марія Житлова-{i}")
    for code, (name, provided, _fmt) in PROVIDERS.items():
        # the checked services an administrator's onboarding uses (ЄДРПОУ by python-stdnum, IBAN by schwifty)
        provider, _new = organisation_register(
            kind=OrgKind.PROVIDER, code=code, name=name, edrpou=EDRPOU[code]
        )
        for service in provided:
            provider_service_set(provider=provider, service_code=service, iban=IBANS[(code, service)])
        user(code, provider, Role.PROVIDER, f"Оператор {code}")
    operators = [
        organisation_register(
            kind=OrgKind.PAYMENT_OPERATOR, code=c, name=n, edrpou=EDRPOU[c], iban=OPERATOR_IBANS[c]
        )[0]
        for c, n in OPERATORS
    ]
    for i in range(1, scale.points + 1):
        operator = operators[i % len(operators)]
        point = organisation_create(
            code=f"P{i:03d}",
            name=f"{operator.name}, відділення № {i}",
            kind=OrgKind.PAYMENT_POINT,
            parent=operator,
        )
        user(f"cashier{i:03d}", point, Role.CASHIER, f"Касир {i}")
    for admin in User.objects.filter(username__in=ORG_ADMINS):
        user_update(user=admin, full_name=admin.get_full_name(), is_org_admin=True)
    return users


def seed_city(
    *,
    scale_name: str,
    seed: int = 1,
    folder: Path | None = None,
    today: dt.date | None = None,
    progress: Callable[[str], None] = lambda _m: None,
) -> SeedResult:
    """Create and fill a synthetic city. Refuses a database that already has a street directory."""
    if Street.objects.exists():
        raise ValueError("the database already has a city; seed needs an empty database")
    scale = SCALES[scale_name]
    today = today or dt.date(2026, 11, 1)
    folder = folder or Path(settings.HOME) / f"seed-{scale.name}-{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    started = time.monotonic()
    told = progress
    progress = lambda m: told(f"{time.monotonic() - started:6.1f} s  {m}")  # noqa: E731
    city = build_city(scale, seed, folder, today)
    progress(f"generated {len(city.streets)} streets, {len(city.dwellings)} dwellings")

    streets_path = folder / "streets.csv"
    write_csv(
        streets_path,
        [Column("type"), Column("name"), Column("former_names")],
        ([t, n, "|".join(f)] for t, n, f in city.streets),
    )
    streets_import(str(streets_path))
    with transaction.atomic():
        for code, name in names.BENEFITS.items():
            BenefitCategory.objects.get_or_create(code=code, defaults={"name": name})
        offices = sorted({d.office for d in city.dwellings})
        users = _organisations(scale, offices)
    # earlier registers first (the first one is the starting state and records no changes), then today's
    days: list[dt.date | None] = (
        [today - dt.timedelta(days=n) for n in HISTORY_DAYS_BEFORE] if scale.history else []
    )
    registry_files: dict[str, Path] = {}
    offices_by_code = {o.code: o for o in Organisation.objects.filter(code__in=offices)}
    for day in [*days, None]:
        registry_files = write_registry_files(city, rng, today, as_of=day)
        for code, path in registry_files.items():
            report = registry_import(str(path), office=offices_by_code[code], today=day or today)
            progress(
                f"register {path.name}: {report.rows_applied} rows, {sum(report.changes.values())} changes"
            )

    months = _months_before(today, scale.months)
    rent_months = _months_before(today, max(scale.rent_months, scale.months))
    snapshot_files = write_snapshot_files(city, rng, months, rent_months=rent_months)
    snapshots_applied = _import_snapshots(snapshot_files, progress)
    absences = reports = 0
    if scale.history:
        absences = _absences(random.Random(f"absences-{seed}"), today, rent_months[0])
        reports = _change_reports(offices_by_code.values(), months=months[-1:])
        progress(f"{absences} absences recorded, {reports} change reports issued")
    _refresh_search(progress)
    figures = {
        "streets": len(city.streets),
        "dwellings": len(city.dwellings),
        "persons": sum(len(d.persons) for d in city.dwellings),
        "offices": len(registry_files),
        "snapshots_written": sum(len(v) for v in snapshot_files.values()),
        "snapshots_applied": snapshots_applied,
        "absences": absences,
        "change_reports": reports,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    return SeedResult(folder, users, figures)


def _months_before(today: dt.date, count: int) -> list[dt.date]:
    """The `count` whole months before `today`'s month, oldest first."""
    months: list[dt.date] = []
    month = today.replace(day=1)
    for _ in range(count):
        month = (month - dt.timedelta(days=1)).replace(day=1)
        months.insert(0, month)
    return months


def _absences(rng: random.Random, today: dt.date, first_month: dt.date) -> int:
    """Temporary absences of one resident in a hundred, within the months the rent snapshots cover,
    recorded through the housing office's service (the rent recalculation report reads them)."""
    from merezha.housing.services import absence_record

    offices = {o.pk: o for o in Organisation.objects.filter(kind=OrgKind.HOUSING_OFFICE)}
    residents = list(
        Person.objects.filter(is_active=True, registered_from__lte=first_month)
        .order_by("id")
        .values_list("id", "dwelling__office_id")
    )
    recorded = 0
    for person_id, office_id in rng.sample(residents, len(residents) // 100):
        start = _day_between(rng, first_month + dt.timedelta(days=20), today - dt.timedelta(days=45))
        end = min(start + dt.timedelta(days=rng.randint(30, 120)), today - dt.timedelta(days=1))
        absence_record(
            office=offices[office_id],
            person_id=person_id,
            user=None,
            date_from=start,
            date_to=end,
            reason=rng.choice(ABSENCE_REASONS),
        )
        recorded += 1
    return recorded


def _change_reports(offices: Iterable[Organisation], *, months: list[dt.date]) -> int:
    """Each office's change reports of these months, issued as the office issues them."""
    from merezha.housing.services import change_report_issue

    return sum(len(change_report_issue(office=o, month=m)) for o in offices for m in months)


def _import_snapshots(files: dict[str, list[tuple[dt.date, Path]]], progress: Callable[[str], None]) -> int:
    try:
        from merezha.providers.services import snapshot_import  # type: ignore[attr-defined]
    except ImportError:
        progress("snapshot import is not available in this build; snapshot files written only")
        return 0
    applied = 0
    for provider_code, months in files.items():
        provider = Organisation.objects.get(code=provider_code)
        for month, path in months:
            report = snapshot_import(
                str(path),
                provider=provider,
                period=month,
                payments_through=_month_end(month),
                accept_partial=True,
            )
            applied += 1
            progress(f"snapshot {path.name}: {report.rows_applied} rows")
    return applied


def _refresh_search(progress: Callable[[str], None]) -> None:
    try:
        from merezha.search.services import search_index_rebuild  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return
    search_index_rebuild()
    progress("search index rebuilt")
