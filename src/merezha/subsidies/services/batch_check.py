"""The batch check: a list of applicants (tax id or address, family type) answered line by line."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from merezha.core.identifiers import tax_id_normalise
from merezha.core.imports import file_checksum
from merezha.core.services import audit_record
from merezha.formats import FormatError, open_table
from merezha.formats.limits import file_limits
from merezha.registry.selectors import DwellingIndex, dwelling_index_build
from merezha.subsidies.models import BatchCheck, FamilyType
from merezha.subsidies.rule import BLOCKED, Verdict, verdict_compute
from merezha.subsidies.selectors import (
    _found_by_address,
    _found_by_tax_id,
    dwelling_labels,
    dwellings_by_tax_ids,
    households_figures,
    rule_parameters_in_force,
    text_clean,
)
from merezha.subsidies.services.rule import InvalidInput

FAMILY_WORDS: dict[str, str] = {
    "": FamilyType.REGULAR,
    "regular": FamilyType.REGULAR,
    "звичайна": FamilyType.REGULAR,
    "large": FamilyType.LARGE,
    "багатодітна": FamilyType.LARGE,
    "foster": FamilyType.FOSTER,
    "прийомна": FamilyType.FOSTER,
    "family_home": FamilyType.FAMILY_HOME,
    "дбст": FamilyType.FAMILY_HOME,
    "дитячий будинок сімейного типу": FamilyType.FAMILY_HOME,
}

#: Column names the batch file may use besides the English ones.
BATCH_ALIASES = {
    "rnokpp": "tax_id",
    "рнокпп": "tax_id",
    "іпн": "tax_id",
    "адреса": "address",
    "вулиця": "street",
    "будинок": "house",
    "квартира": "apartment",
    "тип сім'ї": "family_type",
}


def family_type_parse(text: str) -> str:
    value = " ".join((text or "").strip().lower().replace("-", " ").split()).replace(
        "family home", "family_home"
    )
    if value not in FAMILY_WORDS:
        raise InvalidInput(
            _("unknown family type %(value)r (regular, large, foster, family_home)") % {"value": text}
        )
    return FAMILY_WORDS[value]


def _figures_text(verdict: Verdict) -> str:
    parts = []
    for a in verdict.accounts:
        overdue = "?" if a.overdue is None else str(a.overdue)
        months = f">{a.months_in_debt}" if a.months_beyond_history else str(a.months_in_debt)
        mark = " (exempt)" if a.exempt else ""
        parts.append(
            f"{a.service_code}/{a.provider_code}: debt {a.debt}, overdue {overdue}, months {months}{mark}"
        )
    return "; ".join(parts)


def _address_of(row: dict[str, str]) -> str:
    if row.get("address"):
        return row["address"]
    parts = [row.get("street", ""), row.get("house", "")]
    if row.get("apartment"):
        parts.append(f"кв. {row['apartment']}")
    return ", ".join(p for p in parts if p)


@dataclass
class _Applicant:
    line: int
    tax_id: str
    address: str
    family_type: str
    #: (street, house, apartment) when the file gives them in separate columns
    parts: tuple[str, str, str] | None = None
    match: str = ""
    dwelling_id: int | None = None
    reason: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def batch_check_run(
    *,
    user: Any,
    source: str | IO[bytes],
    file_name: str = "",
    application_date: dt.date,
    family_type: str = FamilyType.REGULAR,
) -> BatchCheck:
    """Check a list of applicants (tax id, or address; optional family type) as of `application_date`.

    Every input line gets an answer: matched lines a verdict, the others the reason they could not be
    matched. Set-based: the indexes are built once and the debts of all households read in a few
    queries. Raises FormatError for a file that cannot be read, NoRuleInForce without a rule that day.
    """
    started = time.perf_counter()
    params = rule_parameters_in_force(on=application_date)
    checksum = file_checksum(source)
    applicants: list[_Applicant] = []
    with open_table(source, name=file_name or None, limits=file_limits("batch_check")) as table:
        for line, row in table.rows:
            if not any(row.values()):
                continue
            row = {BATCH_ALIASES.get(k, k): text_clean(v) for k, v in row.items()}
            applicants.append(
                _Applicant(
                    line,
                    row.get("tax_id", ""),
                    _address_of(row),
                    row.get("family_type", ""),
                    None
                    if row.get("address") or not row.get("street")
                    else (row["street"], row.get("house", ""), row.get("apartment", "")),
                )
            )
        columns = {BATCH_ALIASES.get(c, c) for c in table.columns}
        display = table.name
    if not columns & {"tax_id", "address", "street"}:
        raise FormatError(_("the file has neither a tax_id nor an address column"), line=1)
    tax_ids: list[str] = []
    for a in applicants:
        try:
            a.family_type = family_type_parse(a.family_type) if a.family_type else family_type
        except InvalidInput as exc:
            a.match, a.reason = "invalid", str(exc)
            continue
        if a.tax_id:
            try:
                a.tax_id = tax_id_normalise(a.tax_id)
                tax_ids.append(a.tax_id)
            except ValueError as exc:
                if not a.address:
                    a.match, a.reason = "invalid", str(exc)
        elif not a.address:
            a.match, a.reason = "invalid", _("neither a tax id nor an address")
    by_tax = dwellings_by_tax_ids(tax_ids=tax_ids)
    index: DwellingIndex | None = None
    for a in applicants:
        if a.match:
            continue
        found = _found_by_tax_id(a.tax_id, by_tax) if a.tax_id in by_tax else None
        if found is None and a.address:
            if index is None:
                index = dwelling_index_build()
            found = _found_by_address(a.address, index, a.parts)
        elif found is None:
            found = _found_by_tax_id(a.tax_id, by_tax)
        if found.one is not None:
            a.match, a.dwelling_id = "matched", found.one
        else:
            a.match = "ambiguous" if found.dwelling_ids else "unmatched"
            a.reason = found.reason
    dwelling_ids = [a.dwelling_id for a in applicants if a.dwelling_id is not None]
    figures = households_figures(dwelling_ids=dwelling_ids, on=application_date)
    labels = dwelling_labels(dwelling_ids=dwelling_ids)
    rows: list[dict[str, Any]] = []
    blocked = matched = 0
    for a in applicants:
        out: dict[str, Any] = {
            "line": a.line,
            "tax_id": a.tax_id,
            "address": a.address,
            "family_type": a.family_type,
            "match": a.match,
            "dwelling_id": a.dwelling_id or "",
            "dwelling": "",
            "verdict": "",
            "debt_total": "",
            "overdue_total": "",
            "threshold": "",
            "parameters_from": params.valid_from.isoformat(),
            "figures": "",
            "reason": a.reason,
        }
        if a.dwelling_id is not None:
            matched += 1
            verdict = verdict_compute(
                accounts=figures.get(a.dwelling_id, []),
                params=params,
                application_date=application_date,
                family_type=a.family_type,
                explain=False,
            )
            blocked += verdict.status == BLOCKED
            out.update(
                dwelling=labels.get(a.dwelling_id, ""),
                verdict=verdict.status,
                debt_total=str(verdict.debt_total),
                overdue_total=str(verdict.overdue_total),
                threshold=str(verdict.threshold),
                figures=_figures_text(verdict),
                reason=verdict.explanation[-1],
            )
        rows.append(out)
    with transaction.atomic():
        check = BatchCheck.objects.create(
            office=user.organisation,
            file_name=display[:200],
            checksum=checksum,
            application_date=application_date,
            parameters_id=params.id,
            rows_read=len(applicants),
            matched=matched,
            unmatched=len(applicants) - matched,
            blocked=blocked,
            rows=rows,
            elapsed_ms=int((time.perf_counter() - started) * 1000),
            created_by=user if getattr(user, "pk", None) else None,
        )
        audit_record(
            user=user,
            action="subsidy.batch_check",
            object_type="batch_check",
            object_id=str(check.pk),
            detail={"dwelling_ids": sorted(set(dwelling_ids)), "rows": len(applicants)},
        )
    return check
