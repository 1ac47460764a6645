"""Identifiers of people and organisations (python-stdnum), dates and periods as partners write them."""

from __future__ import annotations

import datetime as dt
import re

from stdnum.exceptions import ValidationError
from stdnum.ua import edrpou, rntrc

_PASSPORT = re.compile(r"^[А-ЯІЇЄҐ]{2}\d{6}$")
_ID_CARD = re.compile(r"^\d{9}$")
_LATIN_TO_CYR = str.maketrans("ABCEHIKMOPTX", "АВСЕНІКМОРТХ")
_SEPARATORS = re.compile(r"[\s\-]")
#: `YYYY-MM-DD`, optionally with the time a spreadsheet or an export writes after it (`HH:MM`, `HH:MM:SS`)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?: (?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?)?")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def tax_id_normalise(text: str) -> str:
    """A РНОКПП (10 digits, checksum verified) or a passport (`КВ123456`) / ID card (9 digits) number.

    Raises ValueError with the reason.
    """
    value = _SEPARATORS.sub("", text or "").upper()
    if not value:
        return ""
    if value.isdigit() and len(value) == 10:
        try:
            return str(rntrc.validate(value))
        except ValidationError:
            raise ValueError(f"tax id {value}: wrong check digit") from None
    if value.isdigit():
        if _ID_CARD.match(value):
            return value
        raise ValueError(f"tax id {value}: a РНОКПП has 10 digits")
    passport = value.translate(_LATIN_TO_CYR)
    if _PASSPORT.match(passport):
        return passport
    raise ValueError(f"tax id {text.strip()}: neither a РНОКПП nor a passport number")


def tax_id_mask(value: str) -> str:
    """`1234567890` → `******7890`: what a cashier may see."""
    if not value:
        return ""
    return "*" * max(0, len(value) - 4) + value[-4:]


def edrpou_is_valid(value: str) -> bool:
    return edrpou.is_valid(value)


def parse_date(text: str) -> dt.date:
    """`YYYY-MM-DD` or `DD.MM.YYYY`; the ISO form may carry a time, `HH:MM` or `HH:MM:SS` (Excel and some
    exports write `2026-10-31 00:00:00`), which is dropped. Anything else after the date is refused."""
    value = (text or "").strip()
    try:
        if _ISO_DATE.fullmatch(value):
            return dt.date.fromisoformat(value[:10])
        m = _DOTTED_DATE.fullmatch(value)
        if m:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        pass
    raise ValueError(f"not a date: {value!r} (expected YYYY-MM-DD or DD.MM.YYYY)")


def parse_period(text: str) -> dt.date:
    """`YYYY-MM` → the first day of that month.

    Also the first day of the month as a date, `YYYY-MM-01`: what a spreadsheet makes of a typed
    `2026-11` (Excel turns it into the date 1 November 2026, and the XLSX reader gives dates as ISO).
    """
    value = (text or "").strip()
    m = re.fullmatch(r"(\d{4})-(\d{2})(-01)?", value)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"not a period: {value!r} (expected YYYY-MM)")
    return dt.date(int(m.group(1)), int(m.group(2)), 1)
