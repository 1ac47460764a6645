"""The imports' reasons and details, shown on a page in the reader's language.

Every import writes its reasons (a rejected row's, a refused file's, a discrepancy's detail) in
English, with the values in them: that is the answer the exchange gives partners (exchange-v1:
`line`, `column`, `reason`), what the command line prints, what the API returns and what the
database keeps. A page is for a person, in Ukrainian by default: `reason_localise` recognises the
English text by its template in `TEMPLATES` and gives the template's translation (gettext) with the
same values. A text that no template recognises is shown as it is.

A template is the English text with `{name}` where a value goes; a value named `reason` is itself a
reason and is localised too. When an import gains a message, its template goes here, with its
translation in `locale/uk/LC_MESSAGES/django.po`; `tests/core/test_reasons.py` imports files with
every kind of fault and fails on a reason that no template recognises.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_

from merezha.core.formatting import area_number, count, date_ua, datetime_ua, money, period_ua
from merezha.core.money import Money

TEMPLATES: tuple[str, ...] = (
    # a row's checks (providers.snapshot_rows, registry and subsidy imports)
    N_("required value is empty"),
    N_("required column is missing"),
    N_("longer than {limit} characters"),
    N_("unknown service {service}: not a network code nor your alias"),
    N_(
        "closing {closing} does not follow from the period columns: "
        "opening + charged + recalc − benefit − subsidy − paid = {expected}"
    ),
    N_("account {account} for {service} appears {n} times in the file (first on line {line})"),
    N_("no header row: the first row must name the columns ({required}, …); line {line} holds: {holds}"),
    # amounts (core.money)
    N_("not an amount: {text}"),
    N_("empty amount"),
    N_("more than two decimal places: {text} (the hub does not round amounts)"),
    N_("amount out of range: {value}"),
    # identifiers, dates (core.identifiers)
    N_("tax id {value}: wrong check digit"),
    N_("tax id {value}: a РНОКПП has 10 digits"),
    N_("tax id {value}: neither a РНОКПП nor a passport number"),
    N_("not a date: {value} (expected YYYY-MM-DD or DD.MM.YYYY)"),
    N_("not a period: {value} (expected YYYY-MM)"),
    # plausible dates (core.dates)
    N_("the date {date} is not plausible: it must be from {first} to {last}"),
    N_("the period {period} is not plausible: it must be from {first} to {last}"),
    # the metadata of a snapshot (providers.services.snapshot_import)
    N_("the file is provider {code}'s snapshot, not {provider}'s"),
    N_("the file says {key} {value}, the upload says {given}"),
    N_("no period: give it with the upload (YYYY-MM) or in the file"),
    N_("a period is a month: {date} is not the first day of one"),
    N_("no payments_through: give it with the upload (YYYY-MM-DD) or in the file"),
    N_("period {period} is older than the snapshot in force ({in_force})"),
    N_("payments_through {date} is earlier than the snapshot in force ({in_force})"),
    N_("the file has no rows"),
    N_("no row could be applied"),
    # addresses (registry.matching, registry.selectors): a discrepancy's detail
    N_("empty street"),
    N_("unknown street: {street}"),
    N_("ambiguous street: {street} names {n} streets"),
    N_("empty house number"),
    N_("no house {house} on this street"),
    N_("the register has no apartment {apartment} in house {house}"),
    N_("the register has no whole-house dwelling in house {house}"),
    N_("{n} dwellings at this address"),
    N_("cannot read an address in {text}"),
    N_("unmatched"),
    N_("ambiguous"),
    # households looked for by the subsidy office (subsidies.selectors)
    N_("address {address}: {reason}"),
    N_("tax id {tax_id} is not registered in any dwelling and names no account"),
    N_("tax id {tax_id} leads to {n} dwellings"),
    # the other discrepancies (providers.services.snapshot_import)
    N_("payer {payer} is not registered in the dwelling"),
    N_("tax id {tax_id} differs from the register's for {payer}"),
    N_("tax id {tax_id} belongs to a person registered elsewhere"),
    # files (formats.readers)
    N_("not an exchange file: {reason}"),
    N_("UTF-16 text: save the file as UTF-8 or cp1251"),
    N_("an Excel 97-2003 workbook (.xls) or another old Office document: save it as XLSX or CSV"),
    N_("a PDF document, not CSV, XLSX, DBF or JSON"),
    N_("a {kind} archive: unpack it and send the file inside"),
    N_("cannot open {file}: {error}"),
    N_("the file is empty"),
    N_("cannot decode the file: it is neither UTF-8 nor cp1251"),
    N_("the file holds NUL bytes, which CSV text never has (binary data or UTF-16?)"),
    N_("the text is not valid {encoding}"),
    N_("the text is not valid {encoding}: it ends inside a character"),
    N_("the text is not valid {encoding} (it starts with a UTF-8 byte-order mark)"),
    N_(
        "the text is not valid {encoding} (it starts with a UTF-8 byte-order mark): it ends inside a character"
    ),
    N_("column {name} appears twice in the header"),
    N_("{n} fields where the header has {width}"),
    N_("{n} fields where the header has {width} (a delimiter inside a value that is not quoted?)"),
    N_("a field is longer than {limit} characters (a quote left open?)"),
    N_("a quoted field is not closed before the end of the file"),
    N_("malformed CSV: {error}"),
    N_(
        "cell {cell} holds a formula without a computed value: open the file in Excel or LibreOffice "
        "and save it, or write the values instead of formulas"
    ),
    N_("not a readable XLSX workbook: {reason}"),
    N_("the file is no zip archive, as every XLSX workbook is"),
    N_("the workbook's XML is malformed ({error})"),
    N_("the sheet's XML is malformed ({error})"),
    N_("the sheet's XML is malformed after row {row} ({error})"),
    N_("its compressed data is damaged: {error}"),
    N_("the workbook has no worksheet"),
    N_("the workbook's first sheet is empty"),
    N_(
        "cannot tell the DBF file's code page (cp1125, cp866 or cp1251) with confidence; "
        "set the language-driver byte or re-save it in cp1251"
    ),
    N_("not a valid dBase III file: the field descriptors do not add up"),
    N_("field {name} appears twice in the DBF header"),
    N_("fields {first} and {second} are both read as column {name}"),
    N_("truncated DBF: the header announces {announced} records, the file holds {held}"),
    N_("truncated DBF record"),
    N_("the DBF header announces {announced} records, but the file holds {held}: its record count is stale"),
    N_("not a DBF date: {text}"),
    N_("the key {key} appears twice in the row"),
    N_("a value must be a text or a number, not an object"),
    N_("a value must be a text or a number, not a list"),
    N_("the value holds a NUL character"),
    N_("`{key}` must be an array of row objects"),
    N_("a row must be an object of column names and values"),
    N_("the JSON text is not valid UTF-8"),
    N_("malformed JSON: {error}"),
    N_("no `{key}` array of rows in the JSON object (its keys: {keys})"),
    # limits a file cannot pass (formats.limits)
    N_("the line is longer than {limit} characters"),
    N_("the header has {n} columns, more than {limit}"),
    N_("the file has more than {limit} rows"),
    N_("the sheet has more than {limit} rows"),
    N_("the DBF header has {n} fields, more than {limit}"),
    N_("the DBF header announces {n} records, more than {limit}"),
    N_("the JSON nests deeper than {limit} levels"),
    N_("the row has more than {limit} keys"),
    N_("the JSON object has more than {limit} keys"),
    N_("the value is longer than {limit} characters"),
    N_("the workbook has {n} parts, more than {limit}"),
    N_("part {part} unpacks to {n} times its packed size, more than {limit} (a zip bomb?)"),
    N_("part {part} unpacks to {size}, more than {limit}"),
    N_("the shared strings unpack to {size}, more than {limit}"),
    N_("the workbook unpacks to {size}, more than {limit}"),
    N_("the workbook has more than {limit} shared strings"),
    N_("row {row} has more than {limit} cells"),
    N_("row {row} has a cell in column {column}, beyond the first {limit} columns a file may have"),
    # a background import (providers.services.import_runs)
    N_("the worker stopped"),
    # h11-messages: the services' refusals shown on pages (the same catalogue)
    # certificates (core.certificates)
    N_("unknown certificate number"),
    N_("the verification code does not match this number"),
    N_("the certificate's figures have been altered"),
    # payments, cancellations (payments.services.PaymentError): the cashier's pages
    N_("{point} is not an active payment point"),
    N_("only a cashier of this payment point may do this"),
    N_("no open operational day at {point}"),
    N_("unknown payment method {method}: use cash or card"),
    N_("a payment needs at least one line"),
    N_("line {i}: amount must be money"),
    N_("line {i}: amount must be positive, got {amount}"),
    N_("line {i}: amount {amount} is over the limit {limit}"),
    N_("unknown account {account}"),
    N_("line {i}: account {account} appears twice"),
    N_("cash tendered {tendered} is less than the total {total}"),
    N_("tendered is only for cash payments"),
    N_("an Idempotency-Key of 1 to {n} characters is required"),
    N_("account {account} is no longer active at its provider"),
    N_("a reason is required to cancel a payment"),
    N_("the reason is longer than 300 characters"),
    N_("no such payment at this point"),
    N_("the operational day {day} is closed: it cannot be cancelled"),
    N_("only a payment of today's operational day can be cancelled (it is of {day})"),
    N_("payment {receipt} is already cancelled"),
    # h13-desk: closing a point's day (registers.services.point_day_close): the shift page
    N_("{day} is in the future: it cannot be closed yet"),
    N_("{point} is not a payment point"),
    N_("a cashier may close only the day of its own point"),
    # subsidies (subsidies.selectors.NoRuleInForce)
    N_("no subsidy rule parameters are in force on {date}"),
    # settlement terms (settlements.services.settlement_terms_set): the terms page
    N_("{code} is neither a payment point nor an operator"),
    N_("mode must be gross or net, not {value}"),
    N_("commission_bp must be within 0..10000, not {value}"),
    N_("a commission needs mode net"),
    N_("only an operator's terms may settle by agent"),
)

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def template_names(template: str) -> set[str]:
    """The placeholders of a template (`{limit}` → `limit`)."""
    return set(_PLACEHOLDER.findall(template))


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each template as a pattern of the whole text; the templates with the most fixed text first,
    so that `the text is not valid {encoding}` does not take the longer ones' texts."""
    compiled = []
    for template in sorted(TEMPLATES, key=lambda t: -len(_PLACEHOLDER.sub("", t))):
        parts = _PLACEHOLDER.split(template)
        pattern = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        compiled.append((re.compile(pattern, re.DOTALL), template))
    return tuple(compiled)


def reason_template(text: str) -> tuple[str, dict[str, str]] | None:
    """The template that `text` was written from and its values, or None."""
    for pattern, template in _patterns():
        found = pattern.fullmatch(text)
        if found is not None:
            return template, found.groupdict()
    return None


#: Values that are identifiers or the text as typed, never grouped as a count nor read as a figure:
#: line, row, column and cell numbers, accounts, codes, houses, tax ids, receipts, names, and a
#: refused input echoed back (`not an amount: {text}`, `tax id {value}: …`, what a line `holds`). A
#: date or an amount passed typed is still shown as one (`date {value} is in the future`).
LITERAL_NAMES = frozenset(
    {
        "account",
        "address",
        "apartment",
        "cell",
        "code",
        "column",
        "file",
        "given",
        "holds",
        "house",
        "i",
        "key",
        "keys",
        "line",
        "name",
        "payer",
        "point",
        "provider",
        "receipt",
        "required",
        "row",
        "service",
        "street",
        "tax_id",
        "text",
        "value",
    }
)
#: Values that name a month: a date among them is shown as one (`11.2026`).
PERIOD_NAMES = frozenset({"month", "period"})

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_AMOUNT = re.compile(r"-?\d+\.\d{2}")
_INTEGER = re.compile(r"-?\d+")


def figure(name: str, value: object) -> object:
    """A catalogue message's value as pages show figures (the `figures` filters): an amount
    `1 234,56`, a date `07.12.2026`, a period `11.2026`, a count `12 022`, an area `66,9`; a text,
    and a number named in `LITERAL_NAMES` (a line, an account), as it is."""
    if isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime):
        return datetime_ua(value)
    if isinstance(value, dt.date):
        return period_ua(value) if name in PERIOD_NAMES else date_ua(value)
    if name == "area" and isinstance(value, Decimal | int):
        return area_number(value)
    if isinstance(value, Money | Decimal):
        return money(value)
    if isinstance(value, int) and name not in LITERAL_NAMES:
        return count(value)
    return value


def figure_of_text(name: str, text: str) -> object:
    """A value read back from an English reason, shown as `figure` shows a typed one when its text
    has a figure's shape: an ISO date, a period (YYYY-MM), an amount with two decimal places, an
    integer. Anything else (a code, an address, a value in quotes) is left as it is."""
    if name in LITERAL_NAMES:
        return text
    if _ISO_DATE.fullmatch(text):
        try:
            return figure(name, dt.date.fromisoformat(text))
        except ValueError:
            return text
    if _PERIOD.fullmatch(text):
        return period_ua(text)
    if _AMOUNT.fullmatch(text):
        return figure(name, Decimal(text))
    if _INTEGER.fullmatch(text) and not (len(text) > 1 and text.lstrip("-").startswith("0")):
        return figure(name, int(text))
    return text


def reason_localise(text: str) -> str:
    """`text`, an import's English reason, in the active language (as it is when not recognised);
    the figures in it are shown as pages show them (`figure_of_text`)."""
    found = reason_template(text)
    if found is None:
        return text
    template, extracted = found
    values: dict[str, object] = {
        name: reason_localise(value) if name == "reason" else figure_of_text(name, value)
        for name, value in extracted.items()
    }
    try:
        return gettext(template).format(**values)
    except (KeyError, IndexError, ValueError):  # a translation that names other values
        return text


def message_localise(template: str, values: dict[str, object]) -> str:
    """A catalogue message (`template` with its `values`) in the active language, each value shown
    as pages show figures (`figure`); a value named `reason` is itself an English reason and is
    localised too."""
    shown = {
        name: reason_localise(str(value)) if name == "reason" else figure(name, value)
        for name, value in values.items()
    }
    try:
        return gettext(template).format(**shown)
    except (KeyError, IndexError, ValueError):  # a translation that names other values
        return template.format(**shown)


def _english(template: str, values: dict[str, object]) -> str:
    """The English text of a message: its values as the exchange writes them (`1234.56`,
    `2026-12-07`), a month as `2026-12`."""
    return template.format(
        **{
            name: f"{value:%Y-%m}" if name in PERIOD_NAMES and isinstance(value, dt.date) else value
            for name, value in values.items()
        }
    )


class Refused(ValueError):
    """Input a service refuses, with every reason at once: `(field, template, values)` each.

    The template is the message's code: English text with `{name}` where a value goes, listed in
    `TEMPLATES` with its translation in the catalogue. `str()` is the English text (the command line's
    and the API's answer); `localised()` gives each field's reasons in the reader's language, for a
    form to show beside its fields.
    """

    def __init__(self, errors: list[tuple[str, str, dict[str, object]]]) -> None:
        if not errors:
            raise ValueError("a refusal needs at least one reason")
        self.errors = errors
        super().__init__("; ".join(self.english(i) for i in range(len(errors))))

    def english(self, i: int) -> str:
        field, template, values = self.errors[i]
        text = _english(template, values)
        return f"{field}: {text}" if field else text

    @property
    def field(self) -> str:
        return self.errors[0][0]

    @property
    def reason(self) -> str:
        """The first reason in English, without its field."""
        _field, template, values = self.errors[0]
        return _english(template, values)

    def localised(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for field, template, values in self.errors:
            out.setdefault(field, []).append(message_localise(template, values))
        return out

    def messages(self) -> list[str]:
        """Every reason in the reader's language, in order (for a page with no form fields)."""
        return [message_localise(t, v) for _f, t, v in self.errors]
