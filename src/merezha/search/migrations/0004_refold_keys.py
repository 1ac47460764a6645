"""Bring the search index in step with the Latin look-alike folding the matcher uses now.

`SearchEntry.key`, `given` and `middle` (a resident's or a payer's folded names), `SearchStreet.key`
and the `SearchTerm` vocabulary hold `registry.matching.fold` of names. That folding changed only for
text with Latin letters (beyond `i a e o c p x`, only the capitals B H K M T and the small y inside a
Cyrillic word are read as Cyrillic, and no letter of a Latin word among Cyrillic ones but the spec's),
so only the entries of dwellings where a resident's or a payer's name has a Latin letter, and the
rows of streets whose name or former name has one, are written again, by the rules of
`search.services`; new words join the vocabulary (and, on SQLite, its FTS5 tables). Words no longer
used stay in the vocabulary until the next rebuild: they find nothing. An empty index (a new
database) is left empty. `merezha search-reindex` does the same and more, at any time.
"""

from django.db import migrations

_LATIN = r"[A-Za-z]"
_PERSON_KINDS = ("person", "payer")
_BATCH = 2000


def _entries(Person, Account, dwelling_ids):
    """(dwelling, kind, key, given, middle, latin, given_latin, label) of residents and payers."""
    from merezha.search.services import _person_entry, _split_payer  # pure: the rules of the index

    persons = Person.objects.filter(is_active=True, dwelling__is_active=True, dwelling_id__in=dwelling_ids)
    for did, surname, name, patronymic in persons.values_list("dwelling_id", "surname", "name", "patronymic"):
        entry = _person_entry(did, "person", surname, name, patronymic)
        if entry:
            yield entry
    accounts = Account.objects.filter(
        is_active=True, dwelling__is_active=True, dwelling_id__in=dwelling_ids
    ).exclude(payer="")
    seen = set()
    for did, payer in accounts.values_list("dwelling_id", "payer").order_by("dwelling_id", "number"):
        if (did, payer) in seen:
            continue
        seen.add((did, payer))
        entry = _person_entry(did, "payer", *_split_payer(payer))
        if entry:
            yield entry


def _street_rows(Street, StreetName, street_ids, fold):
    """`SearchStreet` rows of these streets: every folded name, and each word of a many-word name."""
    streets = Street.objects.filter(id__in=street_ids).values_list("id", "type", "name")
    names = [(sid, stype, name, name, False) for sid, stype, name in streets]
    current = {sid: name for sid, _type, name, _name, _former in names}
    names += [
        (sid, stype, current.get(sid, ""), name, True)
        for sid, stype, name in StreetName.objects.filter(street_id__in=street_ids).values_list(
            "street_id", "street__type", "name"
        )
    ]
    from merezha.search.services import street_keys  # pure: the rules of the index

    seen = set()
    for sid, stype, current_name, name, former in names:
        label = f"{stype} {current_name}" + (f" ({name})" if former else "")
        for k, part in street_keys(name):
            if (sid, k) not in seen:
                seen.add((sid, k))
                yield dict(
                    street_id=sid, key=k[:120], former=former, part=part, type=stype, label=label[:160]
                )


def forward(apps, schema_editor):
    from merezha.registry.matching import fold

    SearchEntry = apps.get_model("search", "SearchEntry")
    SearchStreet = apps.get_model("search", "SearchStreet")
    SearchTerm = apps.get_model("search", "SearchTerm")
    if not SearchEntry.objects.exists() and not SearchStreet.objects.exists():
        return
    Person = apps.get_model("registry", "Person")
    Account = apps.get_model("providers", "Account")
    Street = apps.get_model("registry", "Street")
    StreetName = apps.get_model("registry", "StreetName")

    dwelling_ids: set[int] = set()
    for field in ("surname", "name", "patronymic"):
        dwelling_ids.update(
            Person.objects.filter(**{f"{field}__regex": _LATIN}).values_list("dwelling_id", flat=True)
        )
    dwelling_ids.update(
        Account.objects.filter(payer__regex=_LATIN, dwelling__isnull=False).values_list(
            "dwelling_id", flat=True
        )
    )
    wanted: set[tuple[str, str]] = set()
    ids = sorted(dwelling_ids)
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        SearchEntry.objects.filter(dwelling_id__in=chunk, kind__in=_PERSON_KINDS).delete()
        columns = ("dwelling_id", "kind", "key", "given", "middle", "latin", "given_latin", "label")
        rows = [
            SearchEntry(**dict(zip(columns, row, strict=True))) for row in _entries(Person, Account, chunk)
        ]
        SearchEntry.objects.bulk_create(rows, batch_size=_BATCH)
        wanted.update(("s", row.key) for row in rows)
        wanted.update(("l", row.latin) for row in rows if row.latin)

    street_ids = set(Street.objects.filter(name__regex=_LATIN).values_list("id", flat=True))
    street_ids.update(StreetName.objects.filter(name__regex=_LATIN).values_list("street_id", flat=True))
    if street_ids:
        SearchStreet.objects.filter(street_id__in=street_ids).delete()
        streets = [SearchStreet(**row) for row in _street_rows(Street, StreetName, street_ids, fold)]
        SearchStreet.objects.bulk_create(streets, batch_size=_BATCH)
        wanted.update(("t", row.key) for row in streets)

    wanted -= set(SearchTerm.objects.values_list("kind", "term"))
    SearchTerm.objects.bulk_create(
        [SearchTerm(kind=kind, term=term) for kind, term in sorted(wanted)], batch_size=_BATCH
    )
    if wanted and schema_editor.connection.vendor == "sqlite":
        with schema_editor.connection.cursor() as cursor:
            for kind in ("s", "l", "t"):
                table = f"search_term_fts_{kind}"
                cursor.execute(
                    f"INSERT INTO {table}(rowid, term) SELECT id, term FROM search_searchterm WHERE kind = %s"
                    f" AND id > (SELECT coalesce(max(rowid), 0) FROM {table})",
                    [kind],
                )


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0003_prefix_index"),
        ("registry", "0002_refold_keys"),
        ("providers", "0003_history_references_unconstrained"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
