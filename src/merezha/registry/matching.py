"""Address normalisation and matching (exchange-v1, "Common rules").

Pure functions, no database: `street_key`, `house_key`, `apartment_key` fold a spelling to the
key the city register is indexed by, and `StreetIndex` answers which street a spelling names —
one street, none ("unmatched") or several ("ambiguous"), never a guess.

Tolerated: street type before, after or missing; case; apostrophe variants; Latin look-alike
letters inside Cyrillic words; letters a legacy code page lacks written as their nearest
neighbour (ї/і → i, є → е, ґ → г); `буд.`/`кв.` prefixes; former street names; house numbers
with letters, fractions and blocks (`12а`, `12-А`, `12/1`, `12 корп. 2`, `12, корп. 2`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

#: Canonical street types and every spelling of each (lower case, without the dot).
STREET_TYPES: dict[str, tuple[str, ...]] = {
    "вул.": ("вул", "вулиця", "ул", "улица", "вулиц"),
    "просп.": ("просп", "проспект", "пр-т", "пр", "пр-кт"),
    "пров.": ("пров", "провулок", "пер", "переулок"),
    "бульв.": ("бульв", "бульвар", "б-р"),
    "пл.": ("пл", "площа", "площадь"),
    "шосе": ("шосе", "ш"),
    "майдан": ("майдан", "м-н"),
    "проїзд": ("проїзд", "проезд", "пр-д"),
    "тупик": ("тупик", "туп"),
}

#: The Latin look-alikes exchange-v1 lists (`i a e o c p x`), small and capital: the same letters.
_SPEC_LOOKALIKES = {"a": "а", "e": "е", "o": "о", "c": "с", "p": "р", "x": "х", "i": "і"}
_SPEC_TABLE = str.maketrans(_SPEC_LOOKALIKES | {k.upper(): v.upper() for k, v in _SPEC_LOOKALIKES.items()})
#: Beyond the spec, and only inside a word that has Cyrillic letters: Latin letters drawn exactly like a
#: Cyrillic one, the capitals B H K M T and the small y. A register name written in Cyrillic has none
#: of them, so they can turn an unmatched spelling into a match but never change a correct match (see
#: docs/explanation/address-matching.md). Their other case (`b h k m t`, `Y`) looks like no Cyrillic
#: letter and is left alone, and so is a word without Cyrillic letters (`Bobko`, `Tkach`: Latin names).
_IN_WORD_TWINS = {"B": "В", "H": "Н", "K": "К", "M": "М", "T": "Т", "y": "у"}
_IN_WORD_TABLE = str.maketrans(
    _SPEC_LOOKALIKES | {k.upper(): v.upper() for k, v in _SPEC_LOOKALIKES.items()} | _IN_WORD_TWINS
)
# Letters folded for comparison only: what a legacy code page lacks, and what Russian spelling uses.
_FOLD = str.maketrans({"ї": "і", "и": "и", "є": "е", "ґ": "г", "ё": "е", "ы": "и", "э": "е", "ъ": ""})
_APOSTROPHES = "'’ʼ`´‘\"«»"
_APOS_RE = re.compile(f"[{re.escape(_APOSTROPHES)}]")
_CYR = re.compile(r"[а-яіїєґёА-ЯІЇЄҐЁ]")


def _type_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for canonical, spellings in STREET_TYPES.items():
        table[canonical.rstrip(".")] = canonical
        for spelling in spellings:
            table[spelling] = canonical
    return table


_TYPE_BY_SPELLING = _type_lookup()


_LOOKALIKE_ONLY = re.compile(r"[aeocpxiAEOCPXI]+")


def _delatinise_word(word: str, *, cyrillic_context: bool = False) -> str:
    """Replace Latin look-alikes inside a word that has Cyrillic letters (the spec's letters and the
    twins above), or in a word made only of the spec's letters that stands among Cyrillic words (the
    conjunction `i` in `Кирила i Мефодія`). Case is kept: the twins are told by it."""
    if _CYR.search(word):
        return word.translate(_IN_WORD_TABLE)
    if cyrillic_context and _LOOKALIKE_ONLY.fullmatch(word):
        return word.translate(_SPEC_TABLE)
    return word


_FOLD_SPLIT = re.compile(r"[\s.,;:()\-–—_/]+")


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Lower case, NFC, apostrophes removed, look-alikes and legacy letters folded, spaces collapsed.

    Look-alikes are replaced before the text is lower-cased: a capital `B` inside a Cyrillic word is
    `В`, a small `b` is not a look-alike of any Cyrillic letter."""
    text = _APOS_RE.sub("", unicodedata.normalize("NFC", text))
    context = bool(_CYR.search(text))
    words = [_delatinise_word(w, cyrillic_context=context) for w in _FOLD_SPLIT.split(text) if w]
    # a Latin `i` standing alone among Cyrillic words has been handled; a remaining `i` is Latin text
    return " ".join(words).lower().translate(_FOLD)


def has_lookalikes(text: str) -> bool:
    """Whether `fold` reads a Latin letter of the text as a Cyrillic look-alike (`Iван` with a Latin I,
    `KОВАЛЕНКО` with a Latin K): the spelling of legacy software, not the proper Cyrillic one."""
    text = unicodedata.normalize("NFC", text or "")
    context = bool(_CYR.search(text))
    return any(_delatinise_word(w, cyrillic_context=context) != w for w in _FOLD_SPLIT.split(text) if w)


#: Letters a legacy code page lacks, which `fold` reads as their neighbours (`ї`→`і`, `є`→`е`, `ґ`→`г`).
_LEGACY_LETTERS = re.compile(r"[їєґЇЄҐ]")


def legacy_letters(text: str) -> int:
    """How many letters of the text a legacy code page lacks (`ї`, `є`, `ґ`): a spelling that folds to the
    same key with fewer of them was written by software that could not write them."""
    return len(_LEGACY_LETTERS.findall(unicodedata.normalize("NFC", text or "")))


_NAME_APOSTROPHES = re.compile(r"[’ʼ`´‘]")


@lru_cache(maxsize=1 << 16)
def canonical_name(text: str) -> str:
    """A name as stored: NFC, single spaces, every apostrophe variant written as `'`."""
    text = unicodedata.normalize("NFC", text or "")
    text = _NAME_APOSTROPHES.sub("'", text)
    return " ".join(text.split())


def _type_of(word: str) -> str | None:
    """The canonical street type a word (without its dot) spells, if it spells one."""
    return _TYPE_BY_SPELLING.get(_delatinise_word(word).lower().translate(_FOLD)) or _TYPE_BY_SPELLING.get(
        word.lower()
    )


def split_street(text: str) -> tuple[str | None, str]:
    """Split `вул. Свободи` / `Свободи вулиця` / `Свободи` into (canonical type or None, folded name)."""
    raw = _APOS_RE.sub("", unicodedata.normalize("NFC", text).strip())  # case kept for the look-alikes
    tokens = [t for t in re.split(r"[\s,;]+|(?<=\.)", raw) if t]
    street_type: str | None = None
    rest: list[str] = []
    for i, token in enumerate(tokens):
        candidate = _type_of(token.strip("."))
        is_edge = i == 0 or i == len(tokens) - 1
        if candidate and street_type is None and is_edge and len(tokens) > 1:
            street_type = candidate
            continue
        rest.append(token)
    return street_type, fold(" ".join(rest))


def type_strip(text: str) -> tuple[str | None, str]:
    """`вул. Нова` / `Нова вулиця` → (`вул.`, `Нова`): a street type written at either end of a name,
    and the name as written without it. A name of one word is never a type (`Майдан`)."""
    words = text.split()
    if len(words) == 1:  # `вул.Нова`: the type's dot glued to the name
        head, dot, tail = text.strip().partition(".")
        found = _TYPE_BY_SPELLING.get(head.lower()) if dot and tail.strip() else None
        return (found, tail.strip()) if found else (None, text.strip())
    for index, rest in ((0, words[1:]), (-1, words[:-1])):
        word = words[index]
        found = _type_of(_APOS_RE.sub("", unicodedata.normalize("NFC", word)).strip("."))
        if found:
            return found, " ".join(rest)
    return None, text.strip()


def street_key(text: str) -> str:
    return split_street(text)[1]


#: Longer words first: `дом` is not `д` followed by `ом`, `кв-ра` not `кв` followed by `-ра`.
_HOUSE_PREFIX = re.compile(r"^\s*(будинок|буд|дом|house|б|д)\.?\s*", re.IGNORECASE)
_APT_PREFIX = re.compile(r"^\s*(квартира|кв-ра|кв|apt|ап)\.?\s*", re.IGNORECASE)
#: A block (`корп. 2`), also after a comma: `12, корп. 2`, `12,к.2`, `12 , корпус 2`.
_BLOCK = re.compile(r"\s*,?\s*(корп(ус)?|к|блок|секція|block)\.?\s*", re.IGNORECASE)
_HAS_BLOCK = re.compile(r"\d\s*,?\s*(корп|к\.|к\s*\d|блок|секція)")
_LEADING_ZEROS = re.compile(r"^0+(?=\d)")


def _latin_letters_to_cyrillic(value: str) -> str:
    """House and apartment letters are Cyrillic; a Latin look-alike of the spec (`12a`, `5c`) is read as
    one. No other Latin letter is: next to digits nothing shows it is a look-alike, and `12b`, `12h`,
    `12y` may as well be the KMU spelling of `12б`, `12г`, `12и` (`value` is lower case already)."""
    return value.translate(_SPEC_TABLE)


@lru_cache(maxsize=1 << 16)
def house_key(text: str) -> str:
    """`буд. 12-А` → `12а`; `12/1` → `12/1`; `12 корп. 2` and `12, корп. 2` → `12к2`; `12 А` → `12а`;
    `012` → `12`."""
    value = unicodedata.normalize("NFC", str(text)).strip().lower()
    value = _HOUSE_PREFIX.sub("", value)
    value = _BLOCK.sub("к", value) if _HAS_BLOCK.search(value) else value
    value = _APOS_RE.sub("", value)
    value = _latin_letters_to_cyrillic(value)
    value = re.sub(r"[\s\-–—.]+", "", value)
    value = value.replace("\\", "/")
    value = _LEADING_ZEROS.sub("", value)  # `012`: a spreadsheet column formatted `000`
    return value.translate(_FOLD)


def house_text(text: str) -> str:
    """A house number as the register shows it: as written, without a `буд.` prefix (`буд. 12 а` →
    `12 а`), single spaces."""
    value = " ".join(unicodedata.normalize("NFC", str(text)).split())
    return _HOUSE_PREFIX.sub("", value, count=1).strip() or value


def apartment_text(text: str | None) -> str:
    """An apartment number as the register shows it: without a `кв.` prefix (`кв. 3` → `3`), and empty
    for a private house (`0`, what some software writes for no apartment)."""
    if not apartment_key(text):
        return ""
    value = " ".join(unicodedata.normalize("NFC", str(text)).split())
    return _APT_PREFIX.sub("", value, count=1).strip() or value


@lru_cache(maxsize=1 << 12)
def apartment_key(text: str | None) -> str:
    if text is None:
        return ""
    value = unicodedata.normalize("NFC", str(text)).strip().lower()
    value = _APT_PREFIX.sub("", value)
    value = _APOS_RE.sub("", value)
    value = _latin_letters_to_cyrillic(value)
    value = re.sub(r"[\s\-–—.]+", "", value)
    if value in {"0", "00", "000"}:
        return ""
    return value.translate(_FOLD).lstrip("0") or value


class MatchStatus(StrEnum):
    MATCHED = "matched"
    UNMATCHED = "unmatched"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class StreetMatch:
    status: MatchStatus
    street_id: int | None = None
    candidates: tuple[int, ...] = ()
    reason: str = ""


@dataclass
class StreetIndex:
    """Every street of the directory by folded name (current and former), with its type."""

    by_name: dict[str, set[tuple[int, str]]] = field(default_factory=dict)
    current_names: dict[str, set[int]] = field(default_factory=dict)

    def add(self, street_id: int, street_type: str, name: str, *, former: bool = False) -> None:
        key = fold(name)
        self.by_name.setdefault(key, set()).add((street_id, street_type))
        if not former:
            self.current_names.setdefault(key, set()).add(street_id)

    def match(self, text: str) -> StreetMatch:
        if not text or not text.strip():
            return StreetMatch(MatchStatus.UNMATCHED, reason="empty street")
        street_type, name = split_street(text)
        entries = self.by_name.get(name)
        if not entries:
            # the whole text may be a name that contains a type word (e.g. "Майдан Незалежності")
            entries = self.by_name.get(fold(text))
            street_type = None
        if not entries:
            return StreetMatch(MatchStatus.UNMATCHED, reason=f"unknown street: {text.strip()}")
        ids = {sid for sid, _ in entries}
        if len(ids) > 1 and street_type:
            typed = {sid for sid, stype in entries if stype == street_type}
            if typed:
                ids = typed
        if len(ids) > 1:
            # a current name wins over another street's former name
            current = self.current_names.get(name, set()) & ids
            if len(current) == 1:
                ids = current
        if len(ids) == 1:
            return StreetMatch(MatchStatus.MATCHED, street_id=next(iter(ids)))
        return StreetMatch(
            MatchStatus.AMBIGUOUS,
            candidates=tuple(sorted(ids)),
            reason=f"ambiguous street: {text.strip()} names {len(ids)} streets",
        )


#: A house number in a one-line address: digits and what is glued to them (`12а`, `12-А`, `12/1`, `12к2`), a
#: letter standing apart (`12 а`: not `к` before a digit, which is a block), and a block (`12 корп. 2`,
#: `12, корп. 2`, `12 блок 2`, `12 секція 2`).
_ADDRESS_HOUSE = (
    r"\d+[^\s,]*"
    r"(?:\s+(?!к\.?\s*\d)[^\W\d_](?![^\W\d_]))?"
    r"(?:\s*,?\s*(?:корпус|корп\.?|блок|секція|к\.?)\s*\d+)?"
)
_ADDRESS_SPLIT = re.compile(
    r"^(?P<street>.*?)[,\s]+(?:(?:будинок|буд|дом|б|д)\.?\s*)?(?P<house>" + _ADDRESS_HOUSE + r")"
    r"(?:[,\s]+(?:(?:квартира|кв-ра|кв)\.?\s*)?(?P<apartment>\d+[^\s,]*))?\s*$",
    re.IGNORECASE,
)


def address_split(text: str) -> tuple[str, str, str] | None:
    """Split a one-line address `вул. Свободи, буд. 12а, кв. 5` into (street, house, apartment)."""
    m = _ADDRESS_SPLIT.match(unicodedata.normalize("NFC", text).strip())
    if not m or not m.group("street").strip(" ,"):
        return None
    return m.group("street").strip(" ,"), m.group("house"), m.group("apartment") or ""
