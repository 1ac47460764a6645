"""The street directory of exchange-v1 §0: `type`, `name`, `former_names` (separated by `|`)."""

from __future__ import annotations

import time
from typing import IO

from django.db import transaction

from merezha.core.imports import ImportRejected, ImportReport, columns_check
from merezha.formats import FormatError, open_table, source_name
from merezha.registry.matching import STREET_TYPES, fold, split_street
from merezha.registry.models import Street, StreetName

_TYPES = {}
for _canonical, _spellings in STREET_TYPES.items():
    _TYPES[_canonical] = _canonical
    _TYPES[_canonical.rstrip(".")] = _canonical
    for _s in _spellings:
        _TYPES[_s] = _canonical


def streets_import(source: str | IO[bytes], *, name: str | None = None) -> ImportReport:
    """Apply the street directory: new streets are added, known ones get their former names updated.

    Atomic: a file with any bad row changes nothing (ImportRejected).
    """
    started = time.monotonic()
    report = ImportReport(file_name=source_name(source, name))
    parsed: list[tuple[int, str, str, list[str]]] = []
    try:
        with open_table(
            source, name=name, dbf_fields={"TYPE": "type", "NAME": "name", "FORMER": "former_names"}
        ) as t:
            report.file_name, report.file_format, report.encoding = t.name, t.format, t.encoding or ""
            if t.format != "json" and not columns_check(
                report,
                columns=t.columns,
                required=("name",),
                known=("type", "name", "former_names"),
                line=t.header_line,
            ):
                raise ImportRejected(report)
            for line, row in t.rows:
                report.rows_read += 1
                street_name = row.get("name", "")
                raw_type = row.get("type", "").strip().lower()
                if not street_name:
                    report.reject(line, "name", "street name is empty")
                    continue
                if raw_type:
                    stype = _TYPES.get(raw_type.rstrip(".")) or _TYPES.get(raw_type)
                    if stype is None:
                        report.reject(line, "type", f"unknown street type {raw_type!r}")
                        continue
                else:
                    split_type, _ = split_street(street_name)
                    stype = split_type or "вул."
                formers = [f.strip() for f in row.get("former_names", "").split("|") if f.strip()]
                parsed.append((line, stype, street_name.strip(), formers))
    except FormatError as exc:
        report.reject(exc.line or 1, exc.column, exc.reason)
        raise ImportRejected(report) from None
    if report.errors:
        raise ImportRejected(report)

    created = updated = 0
    with transaction.atomic():
        existing = {(s.type, s.key): s for s in Street.objects.all()}
        for _line, stype, street_name, formers in parsed:
            key = fold(street_name)
            street = existing.get((stype, key))
            if street is None:
                street = Street.objects.create(type=stype, name=street_name, key=key)
                existing[(stype, key)] = street
                created += 1
            elif street.name != street_name:
                street.name = street_name
                street.save(update_fields=["name"])
                updated += 1
            wanted = {fold(f): f for f in formers}
            have = {n.key: n for n in street.former_names.all()}
            for fkey in have.keys() - wanted.keys():
                have[fkey].delete()
                updated += 1
            for fkey in wanted.keys() - have.keys():
                StreetName.objects.create(street=street, name=wanted[fkey], key=fkey)
                updated += 1
    report.rows_applied = len(parsed)
    report.changes = {"created": created, "updated": updated}
    report.applied = True
    report.elapsed = time.monotonic() - started
    return report
