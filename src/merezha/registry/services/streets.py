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


def _renamed_street(
    report: ImportReport,
    line: int,
    stype: str,
    formers: list[str],
    by_key: dict[str, list[Street]],
    in_file: set[tuple[str, str]],
    claimed: set[int],
) -> Street | None:
    """The directory's street that a new name's row renames: a street known under one of the row's former
    names, which the file does not list under that name any more. Of several, the one of the row's type;
    still several: the row is refused (never guessed). None when the street is new."""
    candidates = {
        s.pk: s
        for former in formers
        for s in by_key.get(fold(former), [])
        if (s.type, s.key) not in in_file and s.pk not in claimed
    }
    if len(candidates) > 1:
        typed = {pk: s for pk, s in candidates.items() if s.type == stype}
        candidates = typed or candidates
    if len(candidates) > 1:
        names = ", ".join(str(s) for s in sorted(candidates.values(), key=lambda s: s.pk))
        report.reject(
            line,
            "former_names",
            f"the former names name {len(candidates)} streets of the directory ({names}): "
            "which one was renamed cannot be told",
        )
        return None
    return next(iter(candidates.values()), None)


def streets_import(source: str | IO[bytes], *, name: str | None = None) -> ImportReport:
    """Apply the street directory: new streets are added, known ones get their former names updated, and
    a known street that a row lists among its former names is renamed (it is the same street).

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

    created = updated = renamed = 0
    with transaction.atomic():
        existing = {(s.type, s.key): s for s in Street.objects.all()}
        by_key: dict[str, list[Street]] = {}
        for s in existing.values():
            by_key.setdefault(s.key, []).append(s)
        in_file = {(stype, fold(street_name)) for _l, stype, street_name, _f in parsed}
        claimed: set[int] = set()
        for line, stype, street_name, formers in parsed:
            key = fold(street_name)
            street = existing.get((stype, key))
            if street is None and formers:
                street = _renamed_street(report, line, stype, formers, by_key, in_file, claimed)
                if street is not None:
                    # the same street under its new name: its buildings, and the addresses that
                    # still use the old name (now a former one), stay with it
                    claimed.add(street.pk)
                    del existing[(street.type, street.key)]
                    street.type, street.name, street.key = stype, street_name, key
                    street.save(update_fields=["type", "name", "key"])
                    existing[(stype, key)] = street
                    renamed += 1
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
        if report.errors:
            transaction.set_rollback(True)
    if report.errors:
        raise ImportRejected(report)
    report.rows_applied = len(parsed)
    report.changes = {"created": created, "renamed": renamed, "updated": updated}
    report.streets_changed = bool(created or renamed or updated)
    report.applied = True
    report.elapsed = time.monotonic() - started
    return report
