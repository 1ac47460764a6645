"""Reads of the cashier's search: one box, a dwelling found by address, tax id, account or surname.

`dwelling_search(query=...)` reads the query as, in this order:
  * ten digits → a РНОКПП, exact; other digits → a provider account number or a housing office's
    dwelling id, exact; a passport number (`КВ123456`) → exact;
  * a street and a house number (`Комсомольська 12 5`, `вул. Свободи, буд. 12-А, кв. 5`) → an address;
  * words → a surname with an optional first name and patronymic or initials (`Коваленко І П`),
    in Cyrillic or in Latin (`Kovalenko`), and a street name on its own (`Свободи`); street names,
    like surnames, are found in Latin letters too (`Svobody 2 5`).
A person found is shown by full name (surname, name, patronymic) beside the dwelling's address.
Words are matched exact, then as a prefix, then — only when nothing matched exactly — with one
typo (words of 4 letters and more: every one-edit variant is looked up exactly, the same on both
databases), then — only when one typo finds nothing — with two (8 letters and more). Candidates
for two typos come from the database's trigram index (PostgreSQL `pg_trgm`, SQLite FTS5
`trigram`); the decision is the same Python edit distance on both.

Ranks: 0 exact, 1 prefix, 2 one typo, 3 two typos; a street listing without a house number
counts half a rank lower than a person found with the same rank.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min, Q

from merezha.core.identifiers import tax_id_mask, tax_id_normalise
from merezha.registry.matching import address_split, apartment_key, fold, house_key, split_street
from merezha.registry.models import Building, Dwelling, Person
from merezha.search.models import SearchEntry, SearchStreet, SearchTerm
from merezha.search.translit import is_latin_word, latin_fold, transliterate

if TYPE_CHECKING:
    from merezha.payments.selectors import AccountDebt

#: How many results the box shows.
RESULT_LIMIT = 20
#: At most this many vocabulary words per query word go on to the exact look-up of entries.
_TERM_LIMIT = 60
#: Fuzzy candidates fetched from the trigram index before the edit-distance check.
_FUZZY_CANDIDATES = 100
#: At most this many entries are read per query (a very common surname).
_ENTRY_LIMIT = 2000

_PERSON_KINDS = (SearchEntry.Kind.PERSON, SearchEntry.Kind.PAYER)
_DIGITS_ONLY = re.compile(r"^[\d\s\-]+$")
#: `12 А` → `12А`: a house letter typed apart from the number (not `к`, which begins a block)
_HOUSE_LETTER = re.compile(r"(\d)\s+(?![кК](?:\W|$))([^\W\d_])(?![^\W\d_])")
#: one token with a digit in it (`W-0001`, `1000123/2`): an account number or a dwelling id
_IDENTIFIER = re.compile(r"^(?=[^\s]*\d)[0-9A-Za-zА-Яа-яІіЇїЄєҐґ\-/.]+$")
#: the dwelling code printed on a unified bill (portal): D and the dwelling id; a scanner typing
#: under a Ukrainian keyboard layout gives В for D
_DWELLING_CODE = re.compile(r"^[DdВв](\d{6,12})$")
_PASSPORT = re.compile(r"^[A-Za-zА-Яа-яІіЇїЄєҐґ]{2}\s*\d{6}$")


def allowed_edits(word: str) -> int:
    """A typo or two: none in words of up to 3 letters, one up to 7, two from 8 letters."""
    n = len(word)
    return 0 if n <= 3 else 1 if n <= 7 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a transposition is one edit); `limit + 1` when above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if a == b:
        return 0
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        row_min = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, prev2[j - 2] + 1)
            cur[j] = value
            row_min = min(row_min, value)
        if row_min > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[len(b)], limit + 1)


def pg_similarity_floor(length: int, edits: int) -> float:
    """The lowest `pg_trgm` similarity of a word of `length` letters to a word `edits` edits away.

    pg_trgm pads a word to `length + 1` trigrams; an insertion, deletion or substitution changes at
    most three of them and a transposition four, so at least `shared = length - 3k` stay (one edit
    may be a transposition) out of at most `2 (length + 1) + k - shared`. A lower threshold only
    costs time; a higher one would lose matches. Floored to two decimals.
    """
    shared = max(1, length - 3 * edits)
    return math.floor(max(0.1, shared / (2 * (length + 1) + edits - shared)) * 100) / 100


def _prefix_terms(kind: str, token: str) -> list[str]:
    """Vocabulary words of `kind` that begin with `token` (the token itself included), shortest first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                'SELECT term FROM search_searchterm WHERE kind = %s AND term COLLATE "C" >= %s'
                ' AND term COLLATE "C" < %s ORDER BY length(term), term COLLATE "C" LIMIT %s',
                [kind, token, token + "\U0010ffff", _TERM_LIMIT],
            )
        else:
            cursor.execute(
                "SELECT term FROM search_searchterm WHERE kind = %s AND term >= %s AND term < %s"
                " ORDER BY length(term), term LIMIT %s",
                [kind, token, token + "\U0010ffff", _TERM_LIMIT],
            )
        return [row[0] for row in cursor.fetchall()]


def _trigrams(token: str) -> list[str]:
    return sorted({token[i : i + 3] for i in range(len(token) - 2)})


def _fuzzy_candidates(kind: str, token: str, edits: int) -> list[str]:
    """Vocabulary words that share trigrams with `token`, most similar first (the index's opinion).

    PostgreSQL: every word within `edits` edits passes the similarity threshold; SQLite: the best
    `_FUZZY_CANDIDATES` by FTS5 rank, whatever `edits` is.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            threshold = pg_similarity_floor(len(token), edits)
            cursor.execute(
                "SELECT set_config('pg_trgm.similarity_threshold', %s, false)", [f"{threshold:.2f}"]
            )  # floored
            cursor.execute(
                "SELECT term FROM search_searchterm WHERE kind = %s AND term %% %s"
                ' ORDER BY similarity(term, %s) DESC, term COLLATE "C" LIMIT %s',
                [kind, token, token, _FUZZY_CANDIDATES],
            )
        elif connection.vendor == "sqlite":
            grams = _trigrams(token)
            if not grams:
                return []
            if kind not in SearchTerm.Kind.values:
                raise ValueError(f"unknown kind of word {kind!r}")
            table = f"search_term_fts_{kind}"
            match = " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)
            cursor.execute(
                f"SELECT t.term FROM {table} f JOIN search_searchterm t ON t.id = f.rowid AND t.term = f.term"
                f" WHERE {table} MATCH %s ORDER BY f.rank LIMIT %s",
                [match, _FUZZY_CANDIDATES],
            )
        else:  # pragma: no cover - only the two supported databases
            return []
        return [row[0] for row in cursor.fetchall()]


def term_matches(kind: str, token: str) -> dict[str, int]:
    """Vocabulary words matching one query word, each with its rank (0 exact, 1 prefix, 2+ typos)."""
    found: dict[str, int] = {}
    if not token:
        return found
    if len(token) >= 3:
        for term in _prefix_terms(kind, token):
            found[term] = 0 if term == token else 1
    elif SearchTerm.objects.filter(kind=kind, term=token).exists():
        found[token] = 0
    if token in found:
        return found
    limit = allowed_edits(token)
    if not limit:
        return found
    # one typo: every variant of the word looked up exactly — complete, and the same on both databases
    alphabet = _ALPHABETS[kind]
    if kind == SearchTerm.Kind.STREET and token.isascii():  # a street name typed in Latin letters
        alphabet = _ALPHABETS[SearchTerm.Kind.LATIN] + " "
    one = {term: 2 for term in _terms_in(kind, one_edit_variants(token, alphabet)) if term not in found}
    if one or limit < 2:
        found.update(one)
        return found
    # two typos, only when one finds nothing: candidates from the trigram index, decided here
    for term in _fuzzy_candidates(kind, token, 2):
        if term not in found and edit_distance(token, term, 2) <= 2:
            found[term] = 3
    return found


#: the letters words are made of after folding (see registry.matching.fold and translit.latin_fold)
_CYRILLIC = "абвгдежзийклмнопрстуфхцчшщьюяі"
_ALPHABETS: dict[str, str] = {
    SearchTerm.Kind.SURNAME: _CYRILLIC,
    SearchTerm.Kind.STREET: _CYRILLIC + " ",
    SearchTerm.Kind.LATIN: "abcdefhiklmnoprstuvz",
}


def one_edit_variants(word: str, alphabet: str) -> set[str]:
    """Every word one deletion, transposition, substitution or insertion away (the word excluded)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    variants = {a + b[1:] for a, b in splits if b}
    variants |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    variants |= {a + c + b[1:] for a, b in splits if b for c in alphabet}
    variants |= {a + c + b for a, b in splits for c in alphabet}
    variants.discard(word)
    return variants


def _terms_in(kind: str, words: set[str]) -> list[str]:
    """Which of these words the vocabulary of `kind` has (one indexed look-up)."""
    if not words:
        return []
    ordered = sorted(words)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                # COLLATE "C": the B-tree (kind, term COLLATE "C"), not the trigram index, answers it
                'SELECT term FROM search_searchterm WHERE kind = %s AND term COLLATE "C" = ANY(%s)',
                [kind, ordered],
            )
        else:
            marks = ", ".join(["%s"] * len(ordered))
            cursor.execute(
                f"SELECT term FROM search_searchterm WHERE kind = %s AND term IN ({marks})", [kind, *ordered]
            )
        return sorted(row[0] for row in cursor.fetchall())


@dataclass(frozen=True)
class SearchHit:
    """One dwelling found: where it is, whose housing office keeps it, and why it was found."""

    dwelling_id: int
    address: str
    office: str
    residents: int
    matched: str
    rank: int
    #: why it was found, as data for a page to word in its language: `tax_id`, `account` or
    #: `dwelling_id` with `match_value` the (masked) key; empty when `matched` is a name or a street
    match_kind: str = ""
    match_value: str = ""


@dataclass
class _Found:
    best: dict[int, tuple[int, str, str, str]] = field(default_factory=dict)

    def add(self, dwelling_id: int, rank: int, matched: str, kind: str = "", value: str = "") -> None:
        current = self.best.get(dwelling_id)
        if current is None or rank < current[0]:
            self.best[dwelling_id] = (rank, matched, kind, value)


def _given_matches(wanted: str, have: str) -> bool:
    """A first name or patronymic as typed: full, a prefix or an initial; one typo in a full name."""
    if not have:
        return False
    if have.startswith(wanted):
        return True
    return len(wanted) >= 4 and edit_distance(wanted, have[: len(wanted) + 1], 1) <= 1


def _persons(words: list[str], found: _Found, limit: int) -> None:
    """Entries by surname (the first word), narrowed by first name and patronymic (the next two).

    The first letter of a first name must be right (it narrows the rows in the database); the rest
    may have one typo. Without a first name, the database groups the rows by dwelling.
    """
    surname, given = words[0], words[1:3]
    latin = is_latin_word(surname)
    if latin:
        terms = term_matches(SearchTerm.Kind.LATIN, latin_fold(surname))
        field, given = "latin", [latin_fold(w) for w in given]
    else:
        terms = term_matches(SearchTerm.Kind.SURNAME, surname)
        field = "key"
    given = [w for w in given if w]
    if not terms:
        return
    by_rank: dict[int, list[str]] = defaultdict(list)
    for term, rank in terms.items():
        by_rank[rank].append(term)
    # only persons and payers have a Latin key: filtering by kind too would tempt SQLite's planner
    # into the (kind, key) index, a scan of every person
    base = SearchEntry.objects.all() if latin else SearchEntry.objects.filter(kind__in=_PERSON_KINDS)
    for rank in sorted(by_rank):
        rows = base.filter(**{f"{field}__in": by_rank[rank]})
        if given:
            first = given[0]
            rows = rows.filter(**{f"{'given_latin' if latin else 'given'}__startswith": first[0]})
            for dwelling_id, first_have, middle, label in rows.order_by("dwelling_id", "id").values_list(
                "dwelling_id", "given_latin" if latin else "given", "middle", "label"
            )[:_ENTRY_LIMIT]:
                if not _given_matches(first, first_have):
                    continue
                if len(given) > 1:
                    middle_have = latin_fold(transliterate(middle)) if latin else middle
                    if not _given_matches(given[1], middle_have):
                        continue
                found.add(dwelling_id, 2 * rank, label)
        else:
            seen = [d for d, (r, *_rest) in found.best.items() if r <= 2 * rank]
            grouped = (
                rows.exclude(dwelling_id__in=seen)
                .values("dwelling_id")
                .annotate(first_label=Min("label"))
                .order_by("dwelling_id")
                .values_list("dwelling_id", "first_label")[:limit]
            )
            for dwelling_id, label in grouped:
                found.add(dwelling_id, 2 * rank, label)
        if len(found.best) >= limit:
            break


@dataclass(frozen=True)
class _StreetHit:
    street_id: int
    rank: int
    matched: str


def _streets(text: str) -> list[_StreetHit]:
    """Streets a spelling names: exact, prefix or with typos; current names, former names, single words."""
    street_type, name = split_street(text)
    if name and all(is_latin_word(w) for w in name.split()):
        name = latin_fold(name)  # `Svobody` → `svobodi`, as the index keeps the Latin spelling of names
    if not name:
        return []
    terms = term_matches(SearchTerm.Kind.STREET, name)
    if not terms and street_type is None and fold(text) != name:
        terms = term_matches(SearchTerm.Kind.STREET, fold(text))
    if not terms:
        return []
    best: dict[int, tuple[int, str, str]] = {}
    for street_id, key, part, stype, label in SearchStreet.objects.filter(key__in=list(terms)).values_list(
        "street_id", "key", "part", "type", "label"
    ):
        rank = terms[key] + (1 if part else 0)
        if street_id not in best or rank < best[street_id][0]:
            best[street_id] = (rank, stype, label)
    if street_type:
        typed = {sid: v for sid, v in best.items() if v[1] == street_type}
        best = typed or best
    hits = [_StreetHit(sid, rank, label) for sid, (rank, _t, label) in best.items()]
    return sorted(hits, key=lambda h: (h.rank, h.street_id))


def _address(street_text: str, house: str, apartment: str, found: _Found, limit: int) -> None:
    streets = _streets(street_text)
    if not streets:
        return
    by_street = {h.street_id: h for h in streets}
    hkey = house_key(house)
    buildings = list(
        Building.objects.filter(street_id__in=list(by_street), key=hkey).values_list("id", "street_id")
    )
    house_rank = 0
    if not buildings:
        buildings = list(
            Building.objects.filter(street_id__in=list(by_street), key__startswith=hkey)
            .order_by("street_id", "key")
            .values_list("id", "street_id")[:limit]
        )
        house_rank = 1
    if not buildings:
        return
    street_of = dict(buildings)
    dwellings = Dwelling.objects.filter(building_id__in=list(street_of), is_active=True)
    akey = apartment_key(apartment)
    if akey:
        dwellings = dwellings.filter(apartment_key=akey)
    for dwelling_id, building_id in dwellings.order_by("building_id", "id").values_list("id", "building_id")[
        :_ENTRY_LIMIT
    ]:
        hit = by_street[street_of[building_id]]
        found.add(dwelling_id, 2 * (hit.rank + house_rank), hit.matched)


def _street_listing(text: str, found: _Found, limit: int) -> None:
    """A street named on its own: the first dwellings on it, after persons of the same rank."""
    for hit in _streets(text)[:3]:
        ids = (
            Dwelling.objects.filter(building__street_id=hit.street_id, is_active=True)
            .order_by("building__key", "apartment_key", "id")
            .values_list("id", flat=True)[:limit]
        )
        for dwelling_id in ids:
            found.add(dwelling_id, 2 * hit.rank + 1, hit.matched)


def _identifier(text: str, found: _Found) -> None:
    """A tax id, a passport, a provider account number or a housing office's dwelling id: exact only."""
    compact = re.sub(r"[\s\-]", "", text) if _DIGITS_ONLY.match(text) else text.strip()
    keys: dict[str, list[str]] = {}
    if compact.isdigit() and len(compact) == 10:
        keys[SearchEntry.Kind.TAX_ID] = [compact]
    elif _PASSPORT.match(text):
        with contextlib.suppress(ValueError):  # not a valid passport number: no tax id look-up
            keys[SearchEntry.Kind.TAX_ID] = [tax_id_normalise(text)]
    keys[SearchEntry.Kind.ACCOUNT] = keys[SearchEntry.Kind.REF] = [compact.upper()]
    wanted = Q()
    for kind, values in keys.items():
        wanted |= Q(kind=kind, key__in=values)
    rows = (
        SearchEntry.objects.filter(wanted)
        .order_by("dwelling_id", "kind")
        .values_list("dwelling_id", "kind", "key")
        .distinct()[:_ENTRY_LIMIT]
    )
    for dwelling_id, kind, key in rows:
        if kind == SearchEntry.Kind.TAX_ID:
            match_kind, value = "tax_id", tax_id_mask(key)
        elif kind == SearchEntry.Kind.ACCOUNT:
            match_kind, value = "account", key
        else:
            match_kind, value = "dwelling_id", key
        # `matched` is the API's English text; the page words `match_kind` and `match_value`
        found.add(dwelling_id, 0, f"{match_kind.replace('_', ' ')} {value}", match_kind, value)


def dwelling_search(
    *, query: str, user: Any, channel: str = "web", limit: int = RESULT_LIMIT
) -> list[SearchHit]:
    """Anyone who may search (the caller checks the role): dwellings for one box's text, best first.

    Every search a person makes is written to the audit log (`dwelling_search`: the query with its
    tax id masked and hashed, `channel` `web` or `api`, the dwellings shown); `user=None` only for
    searches no person asked for (benchmarks, tests of the ranking).
    """
    text = (query or "").strip()[:200]
    if len(text) < 2:
        return []
    hits = _search(text, limit)
    if user is not None:
        from merezha.core.services import audit_record

        audit_record(
            user=user,
            action="dwelling_search",
            object_type="dwelling",
            object_id=str(hits[0].dwelling_id) if len(hits) == 1 else "",
            query=text,
            channel=channel,
            detail={"results": len(hits)},
            dwelling_ids=[h.dwelling_id for h in hits],
        )
    return hits


def _search(text: str, limit: int) -> list[SearchHit]:
    found = _Found()
    printed = _DWELLING_CODE.match(text)  # the dwelling code of a unified bill, typed by a scanner
    if printed:
        found.add(int(printed.group(1)), 0, f"dwelling code {text.upper()}")
        return _hits(found, limit)
    if _DIGITS_ONLY.match(text) or _PASSPORT.match(text) or _IDENTIFIER.match(text):
        _identifier(text, found)
    if not found.best and not _DIGITS_ONLY.match(text):
        parts = address_split(_HOUSE_LETTER.sub(r"\1\2", text))
        if parts is not None and re.search(r"[^\W\d_]", parts[0]):
            _address(*parts, found, limit)
        words = fold(text).split()
        if words and not any(ch.isdigit() for ch in "".join(words)):
            _persons(words, found, limit)
            if len(words) > 1 and not found.best:
                _persons([words[-1], *words[:-1]], found, limit)
            # a street on its own: one word (`Свободи`), or words that name nobody (`Героїв Майдану`);
            # not when 20 exact matches already fill the list (a listing ranks after them)
            full_of_exact = len(found.best) >= limit and all(best[0] == 0 for best in found.best.values())
            # a Latin word is first a surname (`Kovalenko`), a street only when it names nobody
            latin_named = is_latin_word(words[0]) and bool(found.best)
            if not latin_named and (len(words) == 1 or not found.best) and not full_of_exact:
                _street_listing(text, found, limit)
    return _hits(found, limit)


def _hits(found: _Found, limit: int) -> list[SearchHit]:
    chosen = sorted(found.best.items(), key=lambda item: (item[1][0], item[0]))[:limit]
    if not chosen:
        return []
    ids = [did for did, _ in chosen]
    dwellings = {
        d.id: d for d in Dwelling.objects.filter(id__in=ids).select_related("building__street", "office")
    }
    residents = dict(
        Person.objects.filter(dwelling_id__in=ids, is_active=True)
        .values("dwelling_id")
        .annotate(n=Count("id"))
        .values_list("dwelling_id", "n")
    )
    hits = []
    for dwelling_id, (rank, matched, match_kind, match_value) in chosen:
        d: Any = dwellings.get(dwelling_id)
        if d is None:
            continue
        hits.append(
            SearchHit(
                dwelling_id=dwelling_id,
                address=str(d),
                office=d.office.name,
                residents=residents.get(dwelling_id, 0),
                matched=matched,
                rank=rank,
                match_kind=match_kind,
                match_value=match_value,
            )
        )
    return sorted(hits, key=lambda h: (h.rank, _natural(h.address), h.dwelling_id))


def _natural(text: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text.lower()))


# --- the dwelling card -------------------------------------------------------------------------


@dataclass(frozen=True)
class ResidentLine:
    name: str
    tax_id_masked: str
    relation: str
    birth_year: int | None


@dataclass(frozen=True)
class DwellingCard:
    dwelling_id: int
    address: str
    office: str
    office_ref: str
    area: Decimal | None
    residents: list[ResidentLine]
    accounts: list[AccountDebt]
    stale_after_days: int

    @property
    def has_stale(self) -> bool:
        return any(getattr(a, "stale", False) for a in self.accounts)


def dwelling_card_get(*, dwelling_id: int, user: Any) -> DwellingCard | None:
    """A cashier's view of one dwelling: every account with its current debt, residents with masked
    tax ids. Writes an audit entry (`dwelling_lookup`) for every look-up; None if there is no such
    active dwelling."""
    from merezha.core.services import audit_record
    from merezha.payments.selectors import dwelling_accounts_with_debt
    from merezha.registry.selectors import person_list

    dwelling = (
        Dwelling.objects.select_related("building__street", "office")
        .filter(pk=dwelling_id, is_active=True)
        .first()
    )
    if dwelling is None:
        return None
    stale_days = settings.STALE_DATA_DAYS
    accounts = dwelling_accounts_with_debt(dwelling_id=dwelling.id, stale_after_days=stale_days)
    persons = list(person_list(dwelling_id=dwelling.id))
    residents = [
        ResidentLine(
            name=p.full_name,
            tax_id_masked=tax_id_mask(p.tax_id),
            relation=p.get_relation_display() if p.relation else "",
            birth_year=p.birth_date.year if p.birth_date else None,
        )
        for p in persons
    ]
    audit_record(
        user=user,
        action="dwelling_lookup",
        object_type="dwelling",
        object_id=str(dwelling.id),
        detail={"address": str(dwelling), "accounts": len(accounts), "residents": len(residents)},
        channel="web",
        dwelling_ids=[dwelling.id],
        person_ids=[p.pk for p in persons],
    )
    return DwellingCard(
        dwelling_id=dwelling.id,
        address=str(dwelling),
        office=dwelling.office.name,
        office_ref=dwelling.office_ref,
        area=dwelling.area,
        residents=residents,
        accounts=list(accounts),
        stale_after_days=stale_days,
    )
