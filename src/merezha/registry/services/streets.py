"""The street directory of exchange-v1 §0: `type`, `name`, `former_names` (separated by `|`)."""

from __future__ import annotations

import time
from typing import IO

from django.db import transaction

from merezha.core.imports import ImportRejected, ImportReport, columns_check
from merezha.formats import FormatError, open_table, source_name
from merezha.registry.matching import STREET_TYPES, fold, type_strip
from merezha.registry.models import Street, StreetName

_TYPES = {}
for _canonical, _spellings in STREET_TYPES.items():
    _TYPES[_canonical] = _canonical
    _TYPES[_canonical.rstrip(".")] = _canonical
    for _s in _spellings:
        _TYPES[_s] = _canonical


#: Longest street name, current or former (the models' field length).
MAX_NAME = 120


def streets_import(source: str | IO[bytes], *, name: str | None = None) -> ImportReport:
    """Apply the street directory: new streets are added, known ones get their former names updated.

    Atomic: a file with any bad row changes nothing (ImportRejected).
    """
    started = time.monotonic()
    report = ImportReport(file_name=source_name(source, name))
    parsed: list[tuple[int, str, str, list[str] | None]] = []
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
            seen: dict[tuple[str, str], int] = {}
            for line, row in t.rows:
                report.rows_read += 1
                street_name = " ".join(row.get("name", "").split())
                raw_type = row.get("type", "").strip().lower()
                if not street_name:
                    report.reject(line, "name", "street name is empty")
                    continue
                stype: str | None = None
                if raw_type:
                    stype = _TYPES.get(raw_type.rstrip(".")) or _TYPES.get(raw_type)
                    if stype is None:
                        report.reject(line, "type", f"unknown street type {raw_type!r}")
                        continue
                # the type written into the name as well (`вул. Нова`, `Нова вулиця`) is not part of it
                name_type, bare = type_strip(street_name)
                if name_type is not None and stype in (None, name_type):
                    street_name = bare
                stype = stype or name_type or "вул."
                # without the column the file says nothing of former names: the known ones stay
                formers = (
                    [type_strip(" ".join(f.split()))[1] for f in row["former_names"].split("|") if f.strip()]
                    if "former_names" in row
                    else None
                )
                for column, value in [("name", street_name)] + [("former_names", f) for f in formers or []]:
                    if len(value) > MAX_NAME:
                        report.reject(line, column, f"longer than {MAX_NAME} characters")
                identity = (stype, fold(street_name))
                if identity in seen:
                    report.reject(line, "name", f"the same street as line {seen[identity]}")
                seen.setdefault(identity, line)
                parsed.append((line, stype, street_name, formers))
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
            if formers is None:
                continue
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
