"""Data migrations of the register: `0002_refold_keys` brings stored keys in step with the matcher."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from merezha.core.roles import OrgKind
from merezha.registry.models import Building, Dwelling, Person, Street, StreetName

pytestmark = pytest.mark.django_db

refold = importlib.import_module("merezha.registry.migrations.0002_refold_keys")


def run_migration():
    refold.forward(apps, SimpleNamespace(connection=connection))


@pytest.fixture
def offices(make_org):
    return make_org(OrgKind.HOUSING_OFFICE, code="ZHEK-01"), make_org(OrgKind.HOUSING_OFFICE, code="ZHEK-02")


def test_stale_keys_are_recomputed_and_buildings_of_one_office_merged(offices):
    """Rows as the previous folding wrote them: the small h, b, k and the house letter `B` read as Cyrillic,
    a block after a comma and leading zeros kept."""
    one, two = offices
    street = Street.objects.create(type="вул.", name="Мhрії", key="мнріі")
    clean = Street.objects.create(type="вул.", name="Свободи", key="свободи")
    former = StreetName.objects.create(street=clean, name="Bишнева", key="вишнева")  # a capital B: stays
    stale_former = StreetName.objects.create(street=clean, name="Садоbа", key="садова")

    def building(number, key, office):
        return Building.objects.create(street=clean, number=number, key=key, office=office)

    first = building("12 корп. 2", "12к2", one)
    comma = building("12, корп. 2", "12,корп2", one)
    zeros = building("012", "012", None)
    twelve = building("12", "12", one)
    letter = building("12B", "12в", one)
    theirs = building("7 к. 1", "7к1", two)  # another office's building with the same new key: left
    mine = building("7, к. 1", "7,к1", one)
    dwellings = {
        ref: Dwelling.objects.create(
            building=b, apartment=apt, apartment_key=akey, office=one, office_ref=ref
        )
        for ref, b, apt, akey in [
            ("D1", first, "1", "1"),
            ("D2", comma, "2", "2"),
            ("D3", zeros, "05", "5"),
            ("D4", letter, "5b", "5в"),
            ("D5", mine, "", ""),
        ]
    }
    person = Person.objects.create(dwelling=dwellings["D1"], surname="Ткачуk", surname_key="ткачук")
    cyrillic = Person.objects.create(dwelling=dwellings["D2"], surname="Ткачук", surname_key="ткачук")

    run_migration()

    assert Street.objects.get(pk=street.pk).key == "мhріі"
    assert [StreetName.objects.get(pk=n.pk).key for n in (former, stale_former)] == ["вишнева", "садоbа"]
    assert list(Building.objects.order_by("pk").values_list("pk", "number", "key", "office_id")) == [
        (first.pk, "12 корп. 2", "12к2", one.pk),
        (twelve.pk, "12", "12", one.pk),
        (letter.pk, "12B", "12b", one.pk),
        (theirs.pk, "7 к. 1", "7к1", two.pk),
        (mine.pk, "7, к. 1", "7,к1", one.pk),
    ]
    assert {ref: Dwelling.objects.get(pk=d.pk).building_id for ref, d in dwellings.items()} == {
        "D1": first.pk,
        "D2": first.pk,  # the comma's building merged into the older one
        "D3": twelve.pk,  # `012` is house 12
        "D4": letter.pk,
        "D5": mine.pk,
    }
    assert Dwelling.objects.get(pk=dwellings["D4"].pk).apartment_key == "5b"
    assert [Person.objects.get(pk=p.pk).surname_key for p in (person, cyrillic)] == ["ткачуk", "ткачук"]


def test_a_register_in_step_is_left_as_it_is(offices):
    street = Street.objects.create(type="вул.", name="Свободи", key="свободи")
    b = Building.objects.create(street=street, number="12 корп. 2", key="12к2", office=offices[0])
    Dwelling.objects.create(building=b, apartment="5", apartment_key="5", office=offices[0], office_ref="D1")
    before = [
        list(m.objects.order_by("pk").values_list()) for m in (Street, StreetName, Building, Dwelling, Person)
    ]
    run_migration()
    run_migration()
    assert [
        list(m.objects.order_by("pk").values_list()) for m in (Street, StreetName, Building, Dwelling, Person)
    ] == before


def test_a_clash_keeps_the_old_key():
    street = Street.objects.create(type="вул.", name="Свободи", key="свободи")
    StreetName.objects.create(street=street, name="Нова", key="нова")
    StreetName.objects.create(street=street, name="НОВА", key="нова-стара")  # a key no folding gave
    run_migration()
    assert list(StreetName.objects.order_by("pk").values_list("name", "key")) == [
        ("Нова", "нова"),
        ("НОВА", "нова-стара"),
    ]
