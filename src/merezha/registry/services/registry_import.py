"""The housing office register of exchange-v1 §1, applied as the office's complete register.

One row per registered person; a dwelling with nobody registered is one row with the person
columns empty. A dwelling or person missing from the next file has left. The file is applied
atomically: any rejected row and nothing changes, unless the sender asks for `accept_partial`,
in which case every dwelling with a rejected row is left exactly as it was.

Persons are recognised across files by their tax id, or else by surname, name, patronymic and
birth date within the dwelling. Every difference is written to `RegisterChange` with the import
as its source, dated the day of the import (an arrival or a birth by the registration date the file
gives, `registered_from`). The office's first register is the register's starting state and records
no change; a registration date the file does not give stays unknown, never the import's day.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone
from stdnum.ua import rntrc

from merezha.core.bulk import allocate_ids, insert_rows
from merezha.core.identifiers import parse_date, tax_id_normalise
from merezha.core.imports import ImportRejected, ImportReport, columns_check, file_checksum
from merezha.formats import FormatError, open_table, source_name
from merezha.registry.matching import (
    MatchStatus,
    StreetMatch,
    apartment_key,
    apartment_text,
    canonical_name,
    fold,
    has_lookalikes,
    house_key,
    house_text,
    legacy_letters,
)
from merezha.registry.models import (
    BenefitCategory,
    Building,
    Dwelling,
    Person,
    RegisterChange,
    RegistryImport,
)
from merezha.registry.selectors import street_index_build

if TYPE_CHECKING:  # organisations sits above the register: types only
    from merezha.organisations.models import Organisation, User

REGISTRY_DBF_FIELDS = {
    "KOD": "dwelling",
    "STREET": "street",
    "HOUSE": "house",
    "FLAT": "apartment",
    "PLOSCH": "area",
    "FAM": "surname",
    "IM": "name",
    "OT": "patronymic",
    "DATAR": "birth_date",
    "IDCODE": "tax_id",
    "ROD": "relation",
    "LGCODE": "benefit",
    "DATAREG": "registered_from",
}
REQUIRED = ("dwelling", "street", "house")
#: Longest value of each stored text column (the models' field lengths).
MAX_LENGTH = {
    "dwelling": 32,
    "street": 120,
    "house": 32,
    "apartment": 16,
    "surname": 80,
    "name": 80,
    "patronymic": 80,
    "benefit": 32,
}
PERSON_COLUMNS = (
    "surname",
    "name",
    "patronymic",
    "birth_date",
    "tax_id",
    "relation",
    "benefit",
    "registered_from",
)

#: The relation to the head of the household (exchange-v1 §1: `head`, `spouse`, `child`, `parent`, `other`,
#: Ukrainian words accepted), and the words housing office software writes for each, in Ukrainian and
#: the Russian of older systems. Descendants are `child` (a grandchild, a stepchild), the head's parents
#: and step-parents `parent`; every other relative (siblings, in-laws, grandparents) and a non-relative
#: is `other`. Compared folded: case, apostrophes and look-alike letters do not matter.
RELATIONS = {
    "head": (
        "head",
        "голова",
        "голова сім'ї",
        "голова родини",
        "голова домогосподарства",
        "наймач",
        "квартиронаймач",
        "відповідальний квартиронаймач",
        "власник",
        "власниця",
        "заявник",
        "заявниця",
        "сам",
        "сама",
        "глава семьи",
        "глава",
        "квартиросъемщик",
        "наниматель",
        "собственник",
    ),
    "spouse": ("spouse", "дружина", "чоловік", "жінка", "подружжя", "жена", "муж", "супруг", "супруга"),
    "child": (
        "child",
        "син",
        "дочка",
        "донька",
        "дочь",
        "сын",
        "дитина",
        "ребенок",
        "онук",
        "онука",
        "онучка",
        "внук",
        "внучка",
        "правнук",
        "правнучка",
        "пасинок",
        "падчерка",
        "пасынок",
        "падчерица",
        "усиновлений",
        "усиновлена",
    ),
    "parent": (
        "parent",
        "батько",
        "мати",
        "матір",
        "мама",
        "тато",
        "вітчим",
        "мачуха",
        "отец",
        "мать",
        "отчим",
    ),
    "other": (
        "other",
        "інше",
        "інший",
        "інша",
        "родич",
        "родичка",
        "брат",
        "сестра",
        "дід",
        "дідусь",
        "баба",
        "бабуся",
        "зять",
        "невістка",
        "тесть",
        "теща",
        "свекор",
        "свекруха",
        "племінник",
        "племінниця",
        "дядько",
        "тітка",
        "співмешканець",
        "співмешканка",
        "квартирант",
        "квартирантка",
        "не родич",
        "другое",
        "прочие",
        "дед",
        "бабушка",
        "невестка",
        "свекровь",
        "племянник",
        "племянница",
    ),
}
_RELATIONS_FOLDED = {fold(word): code for code, words in RELATIONS.items() for word in words}
#: An area as written: digits, one decimal separator (`,` already read as `.`); spaces separate thousands.
_AREA = re.compile(r"[0-9]+(\.[0-9]+)?")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
#: A new person born this many days before the import is reported as a birth, not an arrival.
BIRTH_WINDOW_DAYS = 62
#: The first five digits of a РНОКПП count the days from this date to its holder's birth date.
RNTRC_EPOCH = dt.date(1899, 12, 31)


def rntrc_lost_zero(tax_id: str) -> str:
    """`0779483743` for `779483743`: the РНОКПП a nine-digit tax id is if a spreadsheet dropped its leading
    zero (a number cell), when those ten digits pass the check digit; "" otherwise.

    Nine digits are also an ID-card number, and one in ten of those pass the check digit this way, so the
    caller reads the РНОКПП only when something corroborates it (the birth date it encodes, the register)."""
    if len(tax_id) != 9 or not tax_id.isdigit():
        return ""
    padded = "0" + tax_id
    return padded if rntrc.is_valid(padded) else ""


def rntrc_birth_date(tax_id: str) -> dt.date:
    """The birth date a РНОКПП encodes (its first five digits: days from 1899-12-31)."""
    return RNTRC_EPOCH + dt.timedelta(days=int(tax_id[:5]))


@dataclass
class PersonRow:
    line: int
    surname: str
    name: str
    patronymic: str
    birth_date: dt.date | None
    tax_id: str
    relation: str
    benefit: str
    #: Since when the person is registered in the dwelling, when the file says (None: unknown).
    registered_from: dt.date | None = None

    @property
    def name_key(self) -> str:
        return "|".join(
            (fold(self.surname), fold(self.name), fold(self.patronymic), str(self.birth_date or ""))
        )


@dataclass
class DwellingRow:
    ref: str
    line: int
    street_id: int
    house: str
    house_key: str
    apartment: str
    apartment_key: str
    area: Decimal | None
    persons: list[PersonRow] = field(default_factory=list)
    rejected: bool = False
    rows: int = 0
    person_keys: set[str] = field(default_factory=set)


def _person_name_key(p: Person) -> str:
    return "|".join((fold(p.surname), fold(p.name), fold(p.patronymic), str(p.birth_date or "")))


NAME_FIELDS = ("surname", "name", "patronymic")


def spelling_kept(stored: str, given: str) -> str:
    """Of two spellings of one name (the same `fold` key: no change of name), the one the register keeps.

    The proper Cyrillic one when only one of them is written without Latin look-alikes (`Іван`, not
    `Iван` with a Latin I); else the one with the letters a legacy code page lacks (`Євген`, not
    `Евген`); else the file's, the office's latest word (`Коваленко` after `КОВАЛЕНКО`)."""
    given_lookalikes = has_lookalikes(given)
    if given_lookalikes != has_lookalikes(stored):
        return stored if given_lookalikes else given
    return stored if legacy_letters(given) < legacy_letters(stored) else given


def _parse_row(
    report: ImportReport, line: int, row: dict[str, str]
) -> tuple[dict[str, Any], PersonRow | None] | None:
    ok = True
    for column in REQUIRED:
        if not row.get(column, "").strip():
            report.reject(line, column, "required value is empty")
            ok = False
    for column, limit in MAX_LENGTH.items():
        if len(row.get(column, "")) > limit:
            report.reject(line, column, f"longer than {limit} characters")
            ok = False
    area: Decimal | None = None
    if row.get("area"):
        try:
            text = _SPACES.sub("", row["area"]).replace(",", ".")
            if not _AREA.fullmatch(text):  # no exponent (`1e3`), sign or other digits than 0-9
                raise InvalidOperation
            area = Decimal(text).quantize(Decimal("0.01"))
            if area <= 0 or area > 100000:
                raise InvalidOperation
        except InvalidOperation:
            report.reject(line, "area", f"not an area in m²: {row['area']!r}")
            ok = False
    person: PersonRow | None = None
    if any(row.get(c, "").strip() for c in PERSON_COLUMNS):
        birth: dt.date | None = None
        if row.get("birth_date"):
            try:
                birth = parse_date(row["birth_date"])
                if birth > timezone.localdate():
                    report.reject(line, "birth_date", f"birth date {birth} is in the future")
                    ok = False
            except ValueError as exc:
                report.reject(line, "birth_date", str(exc))
                ok = False
        tax_id = ""
        try:
            tax_id = tax_id_normalise(row.get("tax_id", ""))
        except ValueError as exc:
            report.reject(line, "tax_id", str(exc))
            ok = False
        lost_zero = rntrc_lost_zero(tax_id)
        if lost_zero and birth is not None and rntrc_birth_date(lost_zero) == birth:
            tax_id = lost_zero  # a РНОКПП kept as a number in a spreadsheet: its birth date tells
        relation = ""
        if row.get("relation"):
            relation = _RELATIONS_FOLDED.get(fold(row["relation"]), "")
            if not relation:
                report.reject(
                    line,
                    "relation",
                    f"unknown relation {row['relation']!r}: head, spouse, child, parent, other, or a Ukrainian word "
                    "for one (голова, дружина, чоловік, син, дочка, онук, мати, батько, брат, сестра, …)",
                )
                ok = False
        if not row.get("surname", "").strip():
            report.reject(line, "surname", "a person row needs a surname")
            ok = False
        registered_from: dt.date | None = None
        if row.get("registered_from", "").strip():
            try:
                registered_from = _registered_from_parse(row["registered_from"], birth=birth)
            except ValueError as exc:
                report.reject(line, "registered_from", str(exc))
                ok = False
        person = PersonRow(
            line=line,
            surname=canonical_name(row.get("surname", "")),
            name=canonical_name(row.get("name", "")),
            patronymic=canonical_name(row.get("patronymic", "")),
            birth_date=birth,
            tax_id=tax_id,
            relation=relation,
            benefit=row.get("benefit", "").strip(),
            registered_from=registered_from,
        )
    if not ok:
        return None
    return {"area": area}, person


def _registered_from_parse(text: str, *, birth: dt.date | None) -> dt.date:
    """A row's registration date; ValueError when it is no date, lies in the future or before the
    person's birth."""
    registered_from = parse_date(text)
    if registered_from > timezone.localdate():
        raise ValueError(f"registration date {registered_from} is in the future")
    if birth is not None and registered_from < birth:
        raise ValueError(f"registration date {registered_from} is before the birth date {birth}")
    return registered_from


def registry_import(
    source: str | IO[bytes],
    *,
    office: Organisation,
    user: User | None = None,
    accept_partial: bool = False,
    name: str | None = None,
    today: dt.date | None = None,
) -> ImportReport:
    started = time.monotonic()
    today = today or timezone.localdate()
    report = ImportReport(file_name=source_name(source, name))
    street_index = street_index_build()
    street_matches: dict[str, StreetMatch] = {}  # partners repeat a street's spelling on every row
    dwellings: dict[str, DwellingRow] = {}
    #: Dwellings with a rejected row: left exactly as they are, whichever of their rows came first.
    rejected_refs: set[str] = set()
    try:
        with open_table(source, dbf_fields=REGISTRY_DBF_FIELDS, name=name) as table:
            report.file_name, report.file_format, report.encoding = (
                table.name,
                table.format,
                table.encoding or "",
            )
            if table.format != "json" and not columns_check(
                report,
                columns=table.columns,
                required=REQUIRED,
                known=list(REGISTRY_DBF_FIELDS.values()),
                line=table.header_line,
            ):
                raise ImportRejected(report)
            for line, row in table.rows:
                report.rows_read += 1
                parsed = _parse_row(report, line, row)
                ref = row.get("dwelling", "").strip()
                if parsed is None:
                    rejected_refs.add(ref)
                    if ref in dwellings:
                        dwellings[ref].rejected = True
                    continue
                extra, person = parsed
                match = street_matches.get(row["street"])
                if match is None:
                    match = street_matches[row["street"]] = street_index.match(row["street"])
                if match.status is not MatchStatus.MATCHED or match.street_id is None:
                    report.reject(line, "street", match.reason)
                    rejected_refs.add(ref)
                    if ref in dwellings:
                        dwellings[ref].rejected = True
                    continue
                hkey = house_key(row["house"])
                akey = apartment_key(row.get("apartment", ""))
                current = dwellings.get(ref)
                if current is None:
                    current = DwellingRow(
                        ref=ref,
                        line=line,
                        street_id=match.street_id,
                        house=house_text(row["house"]),
                        house_key=hkey,
                        apartment=apartment_text(row.get("apartment", "")),
                        apartment_key=akey,
                        area=extra["area"],
                        rejected=ref in rejected_refs,
                    )
                    dwellings[ref] = current
                elif (current.street_id, current.house_key, current.apartment_key) != (
                    match.street_id,
                    hkey,
                    akey,
                ):
                    report.reject(
                        line, "street", f"dwelling {ref} has another address on line {current.line}"
                    )
                    current.rejected = True
                    continue
                elif extra["area"] is not None and current.area is not None and extra["area"] != current.area:
                    report.reject(
                        line, "area", f"dwelling {ref} has area {current.area} on line {current.line}"
                    )
                    current.rejected = True
                    continue
                if current.area is None:  # the area may be written on any of the dwelling's rows
                    current.area = extra["area"]
                current.rows += 1
                if person is not None:
                    key = person.tax_id or person.name_key
                    if key in current.person_keys:
                        report.reject(line, "tax_id" if person.tax_id else "surname", "the same person twice")
                        current.rejected = True
                        current.rows -= 1
                        continue
                    current.persons.append(person)
                    current.person_keys.add(key)
            # a JSON file may name its office (`"office": "ZHEK-02"`): another office's register applied
            # as this one's would end every registration of this office
            named = table.metadata.get("office", "").strip()
            if named and named.casefold() != str(office.code).casefold():
                report.reject(
                    1, "office", f"the file is housing office {named}'s register, not {office.code}'s"
                )
                raise ImportRejected(report)
    except FormatError as exc:
        report.reject(exc.line or 1, exc.column, exc.reason)
        raise ImportRejected(report) from None
    if report.rows_read == 0:
        report.reject(1, "", "the file has no rows")
        raise ImportRejected(report)
    if report.errors and not accept_partial:
        raise ImportRejected(report)

    with transaction.atomic():
        imp = RegistryImport.objects.create(
            office=office,
            file_name=report.file_name[:200],
            checksum=file_checksum(source) if isinstance(source, str) else "",
            file_format=report.file_format,
            encoding=report.encoding,
            rows_read=report.rows_read,
            created_by=user if getattr(user, "pk", None) else None,
        )
        changes = _apply(
            office=office,
            dwellings=dwellings,
            partial=bool(report.errors),
            user=user,
            source=f"import:{imp.pk}",
            today=today,
            report=report,
        )
        imp.rows_applied = report.rows_applied
        imp.rows_rejected = report.rows_rejected
        imp.changes = changes
        imp.save(update_fields=["rows_applied", "rows_rejected", "changes"])
    report.applied = True
    report.elapsed = time.monotonic() - started
    return report


@dataclass
class _ChangeLog:
    """The `RegisterChange` rows of one import, in the order they happen, and their count per kind."""

    office_id: int
    source: str
    #: The day the changes take effect (the import's day), as the database stores a date.
    effective: Any
    recorded_at: Any
    recorded_by_id: int | None
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def record(
        self,
        dwelling_id: int,
        kind: str,
        person_id: int | None = None,
        f: str = "",
        old: Any = "",
        new: Any = "",
        effective: Any = None,
    ) -> None:
        """`effective`: the day the change took effect, when it is not the import's day."""
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.rows.append(
            (
                self.office_id,
                dwelling_id,
                person_id,
                kind,
                f,
                "" if old is None else str(old),
                "" if new is None else str(new),
                self.effective if effective is None else effective,
                self.recorded_at,
                self.recorded_by_id,
                self.source,
            )
        )


def _apply(
    *,
    office: Organisation,
    dwellings: dict[str, DwellingRow],
    partial: bool,
    user: User | None,
    source: str,
    today: dt.date,
    report: ImportReport,
) -> int:
    """Diff the file against the office's register and write the differences set-based.

    The steps, in order: the buildings (`_buildings_resolve`), the dwellings of the file
    (`_dwellings_apply`), the dwellings missing from it (`_dwellings_remove_missing`), the persons
    (`_persons_apply`, `_persons_insert`), and the change log (`_changes_write`).

    The office's first register (it has no dwelling in the register yet) is the register's
    starting state, not a change: nobody arrived and no dwelling was added that day, so it
    records no change at all (see docs/reference/registry-format.md).
    """
    ops = connection.ops
    log = _ChangeLog(
        office_id=office.pk,
        source=source,
        effective=ops.adapt_datefield_value(today),
        recorded_at=ops.adapt_datetimefield_value(timezone.now()),
        recorded_by_id=getattr(user, "pk", None) or None,
    )
    buildings = _buildings_resolve(office=office, dwellings=dwellings, partial=partial, report=report)
    existing = {d.office_ref: d for d in Dwelling.objects.filter(office=office)}
    first = not existing
    persons_by_dwelling: dict[int, list[Person]] = {}
    for p in Person.objects.filter(dwelling__office=office, is_active=True):
        persons_by_dwelling.setdefault(p.dwelling_id, []).append(p)
    benefits = {b.code: b.pk for b in BenefitCategory.objects.all()}

    dwelling_ids = _dwellings_apply(
        office=office, dwellings=dwellings, buildings=buildings, existing=existing, log=log
    )
    # dwellings that left the register (only when the whole file was accepted: a partial file is not complete)
    left_persons = (
        []
        if partial
        else _dwellings_remove_missing(
            dwellings=dwellings,
            existing=existing,
            persons_by_dwelling=persons_by_dwelling,
            today=today,
            log=log,
        )
    )
    outcome = _persons_apply(
        dwellings=dwellings,
        dwelling_ids=dwelling_ids,
        persons_by_dwelling=persons_by_dwelling,
        benefits=benefits,
        today=today,
        log=log,
    )
    left_persons += outcome.left
    _persons_insert(new_persons=outcome.new, benefits=benefits, today=today, log=log)
    if outcome.updated:
        Person.objects.bulk_update(
            outcome.updated,
            [*PERSON_COLUMNS, "surname_key"],  # the person columns are the fields of the same names
            batch_size=2000,
        )
    if left_persons:
        Person.objects.bulk_update(left_persons, ["is_active", "registered_until"], batch_size=2000)
    report.rows_applied = outcome.applied_rows
    # the dwellings the cashier's search must learn, of a first register too
    report.touched_dwellings = {c[1] for c in log.rows} | outcome.respelt
    if first:
        report.notes.append(
            f"the office's first register: {len(dwelling_ids)} dwellings and {len(outcome.new)} persons "
            "taken as the register's starting state, no change recorded"
        )
        return 0
    _changes_write(log=log)
    report.changes = log.counts
    return len(log.rows)


def _buildings_resolve(
    *, office: Organisation, dwellings: dict[str, DwellingRow], partial: bool, report: ImportReport
) -> dict[tuple[int, str], Building]:
    """The building of every dwelling of the file, by (street, house key), created where missing.

    Buildings are owned by the office; another office's building is refused while that office
    still has dwellings in it (a building it has handed over, with none left in its register,
    passes to this one). A refused building rejects its dwellings' rows; without `partial` that
    refuses the file.
    """
    wanted_buildings = {(d.street_id, d.house_key): d for d in dwellings.values() if not d.rejected}
    buildings = {
        (b.street_id, b.key): b
        for b in Building.objects.filter(street_id__in={k[0] for k in wanted_buildings})
    }
    foreign = [
        b.pk
        for key, b in buildings.items()
        if key in wanted_buildings and b.office_id not in (None, office.pk)
    ]
    held = set(
        Dwelling.objects.filter(building_id__in=foreign, is_active=True)
        .exclude(office=office)
        .values_list("building_id", flat=True)
    )
    new_buildings = []
    for key, d in wanted_buildings.items():
        b = buildings.get(key)
        if b is None:
            new_buildings.append(
                Building(street_id=d.street_id, number=d.house, key=d.house_key, office=office)
            )
        elif b.office_id not in (None, office.pk) and b.pk in held:
            for other in dwellings.values():
                if (other.street_id, other.house_key) == key:
                    report.reject(other.line, "house", "the building belongs to another housing office")
                    other.rejected = True
        elif b.office_id != office.pk:
            b.office = office
            b.save(update_fields=["office"])
    if report.errors and not partial:
        raise ImportRejected(report)
    for b in Building.objects.bulk_create(new_buildings, batch_size=2000):
        buildings[(b.street_id, b.key)] = b
    return buildings


def _dwellings_apply(
    *,
    office: Organisation,
    dwellings: dict[str, DwellingRow],
    buildings: dict[tuple[int, str], Building],
    existing: dict[str, Dwelling],
    log: _ChangeLog,
) -> dict[str, int]:
    """Write the file's dwellings (new ones inserted, changed ones updated); returns every
    accepted dwelling's id by the office's reference."""
    ops = connection.ops
    new_dwellings: list[DwellingRow] = []
    updated_dwellings: list[Dwelling] = []
    for ref, d in dwellings.items():
        if d.rejected:
            continue
        building = buildings[(d.street_id, d.house_key)]
        dw = existing.get(ref)
        if dw is None:
            new_dwellings.append(d)
            continue
        dirty = False
        if dw.building_id != building.pk or dw.apartment_key != d.apartment_key:
            log.record(
                dw.pk,
                RegisterChange.Kind.DWELLING_CHANGED,
                f="address",
                old=str(dw),
                new=f"{building}" + (f", кв. {d.apartment}" if d.apartment else ""),
            )
            dw.building, dw.apartment, dw.apartment_key = building, d.apartment, d.apartment_key
            dirty = True
        if d.area is not None and dw.area != d.area:
            log.record(dw.pk, RegisterChange.Kind.DWELLING_CHANGED, f="area", old=dw.area, new=d.area)
            dw.area = d.area
            dirty = True
        if not dw.is_active:
            dw.is_active = True
            log.record(dw.pk, RegisterChange.Kind.DWELLING_ADDED)
            dirty = True
        if dirty:
            updated_dwellings.append(dw)
    ids = allocate_ids(Dwelling, len(new_dwellings))
    insert_rows(
        Dwelling,
        ["id", "building_id", "apartment", "apartment_key", "office_id", "office_ref", "area", "is_active"],
        (
            (
                pk,
                buildings[(d.street_id, d.house_key)].pk,
                d.apartment,
                d.apartment_key,
                office.pk,
                d.ref,
                ops.adapt_decimalfield_value(d.area, 9, 2),
                True,
            )
            for pk, d in zip(ids, new_dwellings, strict=True)
        ),
    )
    dwelling_ids = {
        d.ref: dw.pk for d, dw in ((d, existing[d.ref]) for d in dwellings.values() if d.ref in existing)
    }
    for pk, d in zip(ids, new_dwellings, strict=True):
        dwelling_ids[d.ref] = pk
        log.record(pk, RegisterChange.Kind.DWELLING_ADDED)
    if updated_dwellings:
        Dwelling.objects.bulk_update(
            updated_dwellings,
            ["building", "apartment", "apartment_key", "area", "is_active"],
            batch_size=2000,
        )
    return dwelling_ids


def _dwellings_remove_missing(
    *,
    dwellings: dict[str, DwellingRow],
    existing: dict[str, Dwelling],
    persons_by_dwelling: dict[int, list[Person]],
    today: dt.date,
    log: _ChangeLog,
) -> list[Person]:
    """Close the office's dwellings missing from a complete file; returns their persons, who left
    today (written by the caller with the other persons who left)."""
    removed: list[Dwelling] = []
    left_persons: list[Person] = []
    for ref, dw in existing.items():
        if ref not in dwellings and dw.is_active:
            dw.is_active = False
            removed.append(dw)
            log.record(dw.pk, RegisterChange.Kind.DWELLING_REMOVED)
            for p in persons_by_dwelling.get(dw.pk, []):
                p.is_active, p.registered_until = False, today
                left_persons.append(p)
                log.record(dw.pk, RegisterChange.Kind.LEFT, p.pk)
    if removed:
        Dwelling.objects.bulk_update(removed, ["is_active"], batch_size=2000)
    return left_persons


@dataclass
class _PersonsOutcome:
    """What `_persons_apply` found, for the caller to write."""

    #: The persons of the file not yet in the register, with their dwelling's id.
    new: list[tuple[int, PersonRow]] = field(default_factory=list)
    updated: list[Person] = field(default_factory=list)
    #: The persons missing from their dwelling's rows: they left today.
    left: list[Person] = field(default_factory=list)
    #: Dwellings where a name's spelling changed (no change recorded): their search entries are redone.
    respelt: set[int] = field(default_factory=set)
    applied_rows: int = 0


def _persons_apply(
    *,
    dwellings: dict[str, DwellingRow],
    dwelling_ids: dict[str, int],
    persons_by_dwelling: dict[int, list[Person]],
    benefits: dict[str, int],
    today: dt.date,
    log: _ChangeLog,
) -> _PersonsOutcome:
    """Match each dwelling's persons in the file to those registered there, by tax id or else by
    name and birth date, and record what changed; unknown benefit codes become categories."""
    outcome = _PersonsOutcome()
    for ref, d in dwellings.items():
        if d.rejected:
            continue
        dwelling_id = dwelling_ids[ref]
        outcome.applied_rows += d.rows
        current = persons_by_dwelling.get(dwelling_id, [])
        by_tax = {p.tax_id: p for p in current if p.tax_id}
        by_name = {_person_name_key(p): p for p in current}
        seen: set[int] = set()
        for pr in d.persons:
            if pr.benefit and pr.benefit not in benefits:
                benefits[pr.benefit] = BenefitCategory.objects.create(code=pr.benefit, name=pr.benefit).pk
            benefit_id = benefits[pr.benefit] if pr.benefit else None
            person = (by_tax.get(pr.tax_id) if pr.tax_id else None) or by_name.get(pr.name_key)
            if person is None or person.pk in seen:
                outcome.new.append((dwelling_id, pr))
                continue
            seen.add(person.pk)
            if _person_update(
                person=person,
                pr=pr,
                dwelling_id=dwelling_id,
                benefit_id=benefit_id,
                log=log,
                respelt=outcome.respelt,
            ):
                person.surname_key = fold(person.surname)
                outcome.updated.append(person)
        for p in current:
            if p.pk not in seen:
                p.is_active, p.registered_until = False, today
                outcome.left.append(p)
                log.record(dwelling_id, RegisterChange.Kind.LEFT, p.pk)
    return outcome


def _person_update(
    *,
    person: Person,
    pr: PersonRow,
    dwelling_id: int,
    benefit_id: int | None,
    log: _ChangeLog,
    respelt: set[int],
) -> bool:
    """Bring a registered person in line with the file's row, recording each change; True if any
    field changed (another spelling of the same name is kept without a change, see `spelling_kept`)."""
    dirty = False
    for attr, new in (
        ("surname", pr.surname),
        ("name", pr.name),
        ("patronymic", pr.patronymic),
        ("birth_date", pr.birth_date),
        ("tax_id", pr.tax_id),
        ("relation", pr.relation),
    ):
        old = getattr(person, attr)
        if isinstance(new, str) and attr in NAME_FIELDS and old != new and fold(old) == fold(new):
            # another spelling of the same name (look-alike or legacy letters, case): no change
            kept = spelling_kept(old, new)
            if kept != old:
                setattr(person, attr, kept)
                respelt.add(dwelling_id)
                dirty = True
            continue
        if (old or None) != (new or None):
            log.record(dwelling_id, RegisterChange.Kind.PERSON_CHANGED, person.pk, attr, old, new)
            setattr(person, attr, new)
            dirty = True
    if pr.registered_from is not None and person.registered_from != pr.registered_from:
        # a file without the date says nothing of it: the date the register knows stays
        log.record(
            dwelling_id,
            RegisterChange.Kind.PERSON_CHANGED,
            person.pk,
            "registered_from",
            person.registered_from,
            pr.registered_from,
        )
        person.registered_from = pr.registered_from
        dirty = True
    if person.benefit_id != benefit_id:
        old_code = person.benefit.code if person.benefit_id and person.benefit else ""
        log.record(
            dwelling_id,
            RegisterChange.Kind.PERSON_CHANGED,
            person.pk,
            "benefit",
            old_code,
            pr.benefit,
        )
        person.benefit_id = benefit_id
        dirty = True
    return dirty


def _persons_insert(
    *, new_persons: list[tuple[int, PersonRow]], benefits: dict[str, int], today: dt.date, log: _ChangeLog
) -> None:
    """Insert the persons new to the register, each recorded as born (a birth date in the last
    BIRTH_WINDOW_DAYS days) or arrived, on the registration date the file gives, else on the
    import's day. Their registration date is the file's, or unknown (NULL): never the import's day."""
    ops = connection.ops
    born_cutoff = today - dt.timedelta(days=BIRTH_WINDOW_DAYS)
    ids = allocate_ids(Person, len(new_persons))
    insert_rows(
        Person,
        [
            "id",
            "dwelling_id",
            "surname",
            "name",
            "patronymic",
            "birth_date",
            "tax_id",
            "relation",
            "benefit_id",
            "surname_key",
            "registered_from",
            "registered_until",
            "is_active",
        ],
        (
            (
                pk,
                dwelling_id,
                pr.surname,
                pr.name,
                pr.patronymic,
                ops.adapt_datefield_value(pr.birth_date),
                pr.tax_id,
                pr.relation,
                benefits[pr.benefit] if pr.benefit else None,
                fold(pr.surname),
                ops.adapt_datefield_value(pr.registered_from),  # unknown unless the file says
                None,
                True,
            )
            for pk, (dwelling_id, pr) in zip(ids, new_persons, strict=True)
        ),
    )
    for pk, (dwelling_id, pr) in zip(ids, new_persons, strict=True):
        born = pr.birth_date is not None and pr.birth_date >= born_cutoff
        log.record(
            dwelling_id,
            RegisterChange.Kind.BORN if born else RegisterChange.Kind.ARRIVED,
            pk,
            effective=ops.adapt_datefield_value(pr.registered_from) if pr.registered_from else None,
        )


def _changes_write(*, log: _ChangeLog) -> None:
    """Write the import's change log (`RegisterChange`) in one go."""
    insert_rows(
        RegisterChange,
        [
            "office_id",
            "dwelling_id",
            "person_id",
            "kind",
            "field",
            "old_value",
            "new_value",
            "effective_date",
            "recorded_at",
            "recorded_by_id",
            "source",
        ],
        log.rows,
    )
