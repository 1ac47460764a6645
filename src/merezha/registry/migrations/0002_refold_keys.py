"""Re-key the register with the address folding the matcher uses now (`registry.matching`).

The keys that addresses and surnames are matched by are computed when a row is written:
`Street.key` and `StreetName.key` = `fold(name)`, `Building.key` = `house_key(number)`,
`Dwelling.apartment_key` = `apartment_key(apartment)`, `Person.surname_key` = `fold(surname)`. Two
changes of those functions leave some stored keys stale:

- a block after a comma and a house number's leading zeros: `12, корп. 2` and `012` are now `12к2`
  and `12` (they were `12,корп2` and `012`);
- Latin look-alikes: beyond exchange-v1's `i a e o c p x`, only the capitals B H K M T and the small
  y inside a Cyrillic word are read as Cyrillic (the small b h k m t were too, and all of them in
  house and apartment numbers and in Latin words among Cyrillic ones).

This migration recomputes every key with the current functions and writes the ones that differ; a
register already in step (a new database) is left as it is. Two buildings of one street whose numbers
now have one key (`12 корп. 2` and `12, корп. 2` of one housing office) are one building: the row
that already had the key stays (else the oldest), with its number as written, and the other's
dwellings move into it. Buildings of two
different offices are left as they were (the next register import of the second office reports the
building as another office's, as it would for a new file). The search index is brought in step by
`search.0004_refold_keys`; provider accounts are matched again by each provider's next snapshot.
"""

from django.db import migrations

_BATCH = 2000


def _temporary(pk: int) -> str:
    """A key no folding gives (they are lower case), so that keys can be swapped without a clash."""
    return f"REKEY-{pk}"


def _rekey_unique(model, scope: str, source: str, key_of) -> None:
    """Recompute `key` of a model unique on (scope, key). A row whose new key another row of its scope
    holds (or takes first) keeps its old key: the folding only got finer for names (it reads fewer
    Latin letters as Cyrillic), so two names never come to share a key, but no row is lost if they do."""
    rows = list(model.objects.values_list("pk", scope, source, "key").order_by("pk"))
    fresh = {pk: key_of(text) for pk, _scope, text, _key in rows}
    taken = {(s, key) for pk, s, _text, key in rows if fresh[pk] == key}
    moves = {}
    for pk, s, _text, key in rows:
        if fresh[pk] != key and (s, fresh[pk]) not in taken:
            taken.add((s, fresh[pk]))
            moves[pk] = fresh[pk]
    _write_keys(model, "key", moves)


def _write_keys(model, field: str, keys: dict[int, str]) -> None:
    """Write new keys in two passes through temporary ones, so that no unique constraint sees two rows
    with one key while they are being swapped."""
    if not keys:
        return
    for stage in (lambda pk: _temporary(pk), lambda pk: keys[pk]):
        objs = []
        for pk in keys:
            obj = model(pk=pk)
            setattr(obj, field, stage(pk))
            objs.append(obj)
        model.objects.bulk_update(objs, [field], batch_size=_BATCH)


def _rekey(model, source: str, field: str, key_of) -> None:
    """Recompute a key no constraint makes unique."""
    objs = []
    for pk, text, key in model.objects.values_list("pk", source, field).iterator(chunk_size=_BATCH):
        fresh = key_of(text)
        if fresh != key:
            obj = model(pk=pk)
            setattr(obj, field, fresh)
            objs.append(obj)
    model.objects.bulk_update(objs, [field], batch_size=_BATCH)


def _rekey_buildings(Building, Dwelling, house_key) -> None:
    """Recompute `Building.key`, merging the buildings of one street and office that now share a key.

    A new key that differs from the old one has a block after a comma, leading zeros or a Latin letter
    that the old folding gave differently, so it is no other building's old key unless that building
    is in the same group; the unique constraint guards the rest (the migration would stop, atomic)."""
    groups: dict[tuple[int, str], list[tuple[int, str, int | None]]] = {}
    for pk, street_id, number, key, office_id in Building.objects.values_list(
        "pk", "street_id", "number", "key", "office_id"
    ).order_by("pk"):
        groups.setdefault((street_id, house_key(number)), []).append((pk, key, office_id))
    keys: dict[int, str] = {}
    for (_street_id, new), members in groups.items():
        offices = {office for _pk, _key, office in members if office is not None}
        if len(members) > 1 and len(offices) > 1:
            continue  # two offices' buildings: neither is merged nor re-keyed
        # the building already keyed so (`12` before `012`) stays, else the oldest
        members.sort(key=lambda member: (member[1] != new, member[0]))
        survivor, old, office = members[0]
        others = [pk for pk, _key, _office in members[1:]]
        if others:
            Dwelling.objects.filter(building_id__in=others).update(building_id=survivor)
            Building.objects.filter(pk__in=others).delete()
            if office is None and offices:
                Building.objects.filter(pk=survivor).update(office_id=next(iter(offices)))
        if new != old:
            keys[survivor] = new
    _write_keys(Building, "key", keys)


def forward(apps, schema_editor):
    from merezha.registry.matching import apartment_key, fold, house_key

    Street = apps.get_model("registry", "Street")
    StreetName = apps.get_model("registry", "StreetName")
    Building = apps.get_model("registry", "Building")
    Dwelling = apps.get_model("registry", "Dwelling")
    Person = apps.get_model("registry", "Person")
    _rekey_unique(Street, "type", "name", fold)
    _rekey_unique(StreetName, "street_id", "name", fold)
    _rekey_buildings(Building, Dwelling, house_key)
    _rekey(Dwelling, "apartment", "apartment_key", apartment_key)
    _rekey(Person, "surname", "surname_key", lambda surname: fold(surname)[:80])


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
