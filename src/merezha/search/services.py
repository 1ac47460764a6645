"""Writes of the search index: rebuild it all, or refresh some dwellings.

Imports that change the register or the providers' accounts must call
`search_index_refresh(dwelling_ids=...)` (or `search_index_rebuild()` after a bulk load) inside or
after their transaction; the `merezha search-reindex` command rebuilds everything.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache

from django.db import connection, transaction

from merezha.core.bulk import insert_rows
from merezha.core.imports import ImportReport
from merezha.registry.matching import fold
from merezha.registry.models import Dwelling, Person, Street, StreetName
from merezha.search.models import SearchEntry, SearchStreet, SearchTerm
from merezha.search.translit import latin_fold, transliterate

_BATCH = 5000


def person_label(surname: str, name: str = "", patronymic: str = "") -> str:
    """`Коваленко Іван Петрович`: the full name, what the cashier's result list shows beside the address.

    Initials alone cannot tell ten `Головко С.` apart; the full name with the address can, and it is
    no more than the receipt prints. Tax ids never appear in a label (see docs/explanation/search.md).
    """
    return " ".join(" ".join(p.split()) for p in (surname, name, patronymic) if p and p.strip())


def _split_payer(payer: str) -> tuple[str, str, str]:
    words = payer.split()
    words += [""] * (3 - len(words))
    return words[0], words[1], " ".join(words[2:])


#: one row of `search_searchentry`: dwelling_id, kind, key, given, middle, latin, given_latin, label
EntryRow = tuple[int, str, str, str, str, str, str, str]
_ENTRY_COLUMNS = ("dwelling_id", "kind", "key", "given", "middle", "latin", "given_latin", "label")


@lru_cache(maxsize=200_000)
def _folded(text: str) -> str:
    return fold(text)[:80]


@lru_cache(maxsize=200_000)
def _latin(text: str) -> str:
    return latin_fold(transliterate(text))[:80]


def _person_entry(dwelling_id: int, kind: str, surname: str, name: str, patronymic: str) -> EntryRow | None:
    key = _folded(surname)
    if not key:
        return None
    return (
        dwelling_id,
        kind,
        key,
        _folded(name),
        _folded(patronymic),
        _latin(surname),
        _latin(name),
        person_label(surname, name, patronymic)[:120],
    )


def _key_entry(dwelling_id: int, kind: str, key: str) -> EntryRow:
    return (dwelling_id, kind, key.strip().upper()[:80], "", "", "", "", "")


def _entries(dwelling_ids: list[int] | None) -> Iterator[EntryRow]:
    from merezha.providers.models import Account

    dwellings = Dwelling.objects.filter(is_active=True)
    persons = Person.objects.filter(is_active=True, dwelling__is_active=True)
    accounts = Account.objects.filter(is_active=True, dwelling__isnull=False, dwelling__is_active=True)
    if dwelling_ids is not None:
        dwellings = dwellings.filter(id__in=dwelling_ids)
        persons = persons.filter(dwelling_id__in=dwelling_ids)
        accounts = accounts.filter(dwelling_id__in=dwelling_ids)
    for did, ref in dwellings.values_list("id", "office_ref").iterator(chunk_size=_BATCH):
        if ref:
            yield _key_entry(did, SearchEntry.Kind.REF, ref)
    for did, surname, name, patronymic, tax_id in persons.values_list(
        "dwelling_id", "surname", "name", "patronymic", "tax_id"
    ).iterator(chunk_size=_BATCH):
        entry = _person_entry(did, SearchEntry.Kind.PERSON, surname, name, patronymic)
        if entry:
            yield entry
        if tax_id:
            yield _key_entry(did, SearchEntry.Kind.TAX_ID, tax_id)
    seen: set[tuple[int, str, str]] = set()
    for did, number, payer, tax_id in (
        accounts.values_list("dwelling_id", "number", "payer", "tax_id")
        .order_by("dwelling_id", "number")
        .iterator(chunk_size=_BATCH)
    ):
        assert did is not None
        for kind, key in (
            (SearchEntry.Kind.ACCOUNT, number),
            (SearchEntry.Kind.TAX_ID, tax_id),
            (SearchEntry.Kind.PAYER, payer),
        ):
            if not key or (did, kind, key) in seen:
                continue
            seen.add((did, kind, key))
            if kind == SearchEntry.Kind.PAYER:
                entry = _person_entry(did, kind, *_split_payer(key))
                if entry:
                    yield entry
            else:
                yield _key_entry(did, kind, key)


def street_keys(name: str) -> list[tuple[str, bool]]:
    """The keys a street name is found by, each with whether it is one word of a many-word name.

    The folded name (`героів майдану`) and its words of 3 letters and more, then the same in Latin
    letters (`heroiv maidanu`: the KMU 2010 spelling, folded as Latin surnames are), so that
    `Svobody 2 5` finds вул. Свободи as `Kovalenko` finds Коваленко. Pure, no database.
    """
    rows: list[tuple[str, bool]] = []
    for key in dict.fromkeys((fold(name), _latin(name))):
        if key:
            rows += [(key, False)] + [(w, True) for w in key.split() if len(w) >= 3 and " " in key]
    return rows


def _street_rows() -> Iterator[SearchStreet]:
    names: list[tuple[int, str, str, str, bool]] = [
        (sid, stype, name, name, False)
        for sid, stype, name in Street.objects.values_list("id", "type", "name")
    ]
    current = {sid: name for sid, _t, name, _n, _f in names}
    names += [
        (sid, stype, current.get(sid, ""), name, True)
        for sid, stype, name in StreetName.objects.values_list("street_id", "street__type", "name")
    ]
    seen: set[tuple[int, str]] = set()
    for sid, stype, current_name, name, former in names:
        label = f"{stype} {current_name}" + (f" ({name})" if former else "")
        for k, part in street_keys(name):
            if (sid, k) in seen:
                continue
            seen.add((sid, k))
            yield SearchStreet(
                street_id=sid, key=k[:120], former=former, part=part, type=stype, label=label[:160]
            )


def _insert_entries(rows: Iterable[EntryRow]) -> int:
    """Insert index rows with COPY (PostgreSQL) or `executemany` (SQLite), without model instances."""
    return insert_rows(SearchEntry, _ENTRY_COLUMNS, rows)


def _bulk(model: type, rows: Iterable[object]) -> int:
    batch: list[object] = []
    count = 0
    for row in rows:
        batch.append(row)
        if len(batch) >= _BATCH:
            model.objects.bulk_create(batch)  # type: ignore[attr-defined]
            count += len(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)  # type: ignore[attr-defined]
        count += len(batch)
    return count


def _terms_of(entries: Iterable[tuple[str, str, str]], street_keys: Iterable[str]) -> set[tuple[str, str]]:
    """The vocabulary words of index rows given as (kind, key, latin), and of street keys."""
    words: set[tuple[str, str]] = set()
    for kind, key, latin in entries:
        if kind in (SearchEntry.Kind.PERSON, SearchEntry.Kind.PAYER):
            words.add((SearchTerm.Kind.SURNAME, key))
            if latin:
                words.add((SearchTerm.Kind.LATIN, latin))
    words.update((SearchTerm.Kind.STREET, key) for key in street_keys)
    return words


def _terms_sync(*, full: bool, words: set[tuple[str, str]] | None = None) -> None:
    """Bring the vocabulary (and on SQLite its FTS5 table) in step with the entries and streets.

    `full`: start again from every entry and street. Otherwise add `words` (the words of the rows
    just written) that the vocabulary lacks, without reading the whole index.
    """
    if full:
        SearchTerm.objects.all().delete()
        wanted = _terms_of(
            SearchEntry.objects.filter(kind__in=["person", "payer"])
            .values_list("kind", "key", "latin")
            .distinct(),
            SearchStreet.objects.values_list("key", flat=True).distinct(),
        )
    else:
        wanted = set(words or ())
        by_kind: dict[str, list[str]] = {}
        for kind, term in wanted:
            by_kind.setdefault(kind, []).append(term)
        for kind, terms in by_kind.items():
            for start in range(0, len(terms), _BATCH):
                chunk = terms[start : start + _BATCH]
                wanted -= {
                    (kind, t)
                    for t in SearchTerm.objects.filter(kind=kind, term__in=chunk).values_list(
                        "term", flat=True
                    )
                }
    _bulk(SearchTerm, (SearchTerm(kind=k, term=t) for k, t in sorted(wanted)))
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for kind in SearchTerm.Kind.values:
                table = f"search_term_fts_{kind}"
                if full:
                    cursor.execute(f"DELETE FROM {table}")
                cursor.execute(
                    f"INSERT INTO {table}(rowid, term) SELECT id, term FROM search_searchterm WHERE kind = %s"
                    f" AND id > (SELECT coalesce(max(rowid), 0) FROM {table})",
                    [kind],
                )


def search_index_rebuild() -> dict[str, int]:
    """Recreate the whole index from the register and the providers' accounts. Returns row counts."""
    with transaction.atomic():
        SearchEntry.objects.all().delete()
        SearchStreet.objects.all().delete()
        entries = _insert_entries(_entries(None))
        streets = _bulk(SearchStreet, _street_rows())
        _terms_sync(full=True)
        terms = SearchTerm.objects.count()
    _analyze()
    return {"entries": entries, "streets": streets, "terms": terms}


def _analyze() -> None:
    """Fresh planner statistics for the index tables (SQLite has none until asked)."""
    with connection.cursor() as cursor:
        for table in ("search_searchentry", "search_searchstreet", "search_searchterm"):
            cursor.execute(f"ANALYZE {table}")


def search_index_refresh(
    *, dwelling_ids: Iterable[int] | None = None, streets: bool = True
) -> dict[str, int]:
    """Bring the index of these dwellings in step (and the street names, unless `streets=False`);
    None means everything.

    Call it after an import changed residents, accounts or streets. Only the difference is written:
    the rows these dwellings should have are compared with the rows they have, rows no longer wanted
    are deleted and missing ones inserted (a provider's monthly snapshot changes balances, which
    the index does not hold, so most of its dwellings need no write at all). Words that no longer
    occur stay in the vocabulary until the next rebuild; they find nothing, so they are harmless.
    Returns the rows inserted and deleted, the street names written and the vocabulary's size.
    """
    if dwelling_ids is None:
        return search_index_rebuild()
    ids = sorted(set(dwelling_ids))
    inserted = deleted = street_rows = 0
    words: set[tuple[str, str]] = set()
    with transaction.atomic():
        for start in range(0, len(ids), _BATCH):
            batch = ids[start : start + _BATCH]
            missing = Counter(_entries(batch))
            stale: list[int] = []
            have = SearchEntry.objects.filter(dwelling_id__in=batch).values_list("id", *_ENTRY_COLUMNS)
            for pk, *row in have.iterator(chunk_size=_BATCH):
                entry = tuple(row)
                if missing[entry] > 0:
                    missing[entry] -= 1
                else:
                    stale.append(pk)
            for first in range(0, len(stale), _BATCH):
                deleted += SearchEntry.objects.filter(pk__in=stale[first : first + _BATCH]).delete()[0]
            rows = list(missing.elements())
            inserted += _insert_entries(rows)
            words |= _terms_of(((r[1], r[2], r[5]) for r in rows), ())
        if streets:
            SearchStreet.objects.all().delete()
            street_rows = _bulk(SearchStreet, _street_rows())
            words |= _terms_of((), SearchStreet.objects.values_list("key", flat=True).distinct())
        _terms_sync(full=False, words=words)
        terms = SearchTerm.objects.count()
    return {"entries": inserted, "deleted": deleted, "streets": street_rows, "terms": terms}


def search_index_after_import(*, report: ImportReport) -> int:
    """Refresh the index for the dwellings an import changed (called by the import commands and routes),
    and its street names when the street directory changed."""
    if not report.applied or not (report.touched_dwellings or report.streets_changed):
        return 0
    search_index_refresh(dwelling_ids=report.touched_dwellings, streets=report.streets_changed)
    return len(report.touched_dwellings)
