"""Latin spellings of Ukrainian names: the national transliteration (KMU resolution 55 of 2010) and a fold.

A payer may spell a surname the way it is written in a passport (`Kovalenko`, `Hryhorenko`) or the
way an older, Russian-based system wrote it (`Grigorenko`, `Kirilenko`). The search index keeps the
KMU 2010 spelling of every surname, and both the index and the query are then reduced by
`latin_fold` to a skeleton where those systems agree (`g`→`h`, `y`/`j`→`i`, `kh`→`h`, doubled
letters once). Pure functions, no database.
"""

from __future__ import annotations

import re
import unicodedata

# KMU 2010: (letter, at the start of a word, elsewhere)
_KMU: dict[str, tuple[str, str]] = {
    "а": ("a", "a"),
    "б": ("b", "b"),
    "в": ("v", "v"),
    "г": ("h", "h"),
    "ґ": ("g", "g"),
    "д": ("d", "d"),
    "е": ("e", "e"),
    "є": ("ye", "ie"),
    "ж": ("zh", "zh"),
    "з": ("z", "z"),
    "и": ("y", "y"),
    "і": ("i", "i"),
    "ї": ("yi", "i"),
    "й": ("y", "i"),
    "к": ("k", "k"),
    "л": ("l", "l"),
    "м": ("m", "m"),
    "н": ("n", "n"),
    "о": ("o", "o"),
    "п": ("p", "p"),
    "р": ("r", "r"),
    "с": ("s", "s"),
    "т": ("t", "t"),
    "у": ("u", "u"),
    "ф": ("f", "f"),
    "х": ("kh", "kh"),
    "ц": ("ts", "ts"),
    "ч": ("ch", "ch"),
    "ш": ("sh", "sh"),
    "щ": ("shch", "shch"),
    "ь": ("", ""),
    "ю": ("yu", "iu"),
    "я": ("ya", "ia"),
    # Russian letters that occur in old records
    "ё": ("yo", "io"),
    "ы": ("y", "y"),
    "э": ("e", "e"),
    "ъ": ("", ""),
}
_APOSTROPHES = re.compile(r"['’ʼ`´‘]")


def transliterate(text: str) -> str:
    """Cyrillic → Latin by KMU 2010 (`Коваленко` → `Kovalenko`, `Згурський` → `Zghurskyi`)."""
    text = _APOSTROPHES.sub("", unicodedata.normalize("NFC", text))
    out: list[str] = []
    prev_letter = False
    for i, ch in enumerate(text):
        low = ch.lower()
        if low in _KMU:
            initial, other = _KMU[low]
            latin = other if prev_letter else initial
            if low == "г" and i > 0 and text[i - 1].lower() == "з":
                latin = "gh"  # зг → zgh, to tell it from ж (zh)
            if ch != low and latin:
                latin = latin[0].upper() + latin[1:]
            out.append(latin)
            prev_letter = True
        else:
            out.append(ch)
            prev_letter = ch.isalpha()
    return "".join(out)


_LATIN_FOLD_STEPS = (
    ("shch", "sch"),
    ("kh", "h"),
    ("g", "h"),
    ("w", "v"),
    ("y", "i"),
    ("j", "i"),
    ("ck", "k"),
    ("x", "ks"),
    ("q", "k"),
)
_DOUBLED = re.compile(r"(.)\1+")
_NOT_LATIN = re.compile(r"[^a-z ]+")


def latin_fold(text: str) -> str:
    """A Latin spelling reduced to where transliteration systems agree: `Grigorenko` → `hrihorenko`."""
    value = unicodedata.normalize("NFKD", text.lower())
    value = "".join(c for c in value if not unicodedata.combining(c))
    value = _NOT_LATIN.sub(" ", value)
    for old, new in _LATIN_FOLD_STEPS:
        value = value.replace(old, new)
    value = _DOUBLED.sub(r"\1", value)
    return " ".join(value.split())


def is_latin_word(word: str) -> bool:
    """A word written only in Latin letters (after the look-alike fold left it Latin)."""
    return bool(word) and word.isascii() and word.isalpha()
