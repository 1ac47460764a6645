"""`search.0004_refold_keys`: an index written with the previous folding is brought in step."""

import importlib
from types import SimpleNamespace

from django.apps import apps
from django.db import connection

from merezha.providers.models import Account
from merezha.registry.matching import fold
from merezha.registry.models import Person, Street, StreetName
from merezha.search.models import SearchEntry, SearchStreet, SearchTerm
from merezha.search.selectors import _fuzzy_candidates, dwelling_search
from merezha.search.services import search_index_rebuild

refold = importlib.import_module("merezha.search.migrations.0004_refold_keys")

ENTRY = ("dwelling_id", "kind", "key", "given", "middle", "latin", "given_latin", "label")
STREET = ("street_id", "key", "former", "part", "type", "label")


def state():
    return (
        sorted(SearchEntry.objects.values_list(*ENTRY)),
        sorted(SearchStreet.objects.values_list(*STREET)),
        set(SearchTerm.objects.values_list("kind", "term")),
    )


def test_entries_and_streets_with_latin_letters_are_written_again(city):
    Person.objects.create(
        dwelling=city.dwellings["0002"], surname="Ткачуkевич", name="Іван", surname_key=fold("Ткачуkевич")
    )
    Account.objects.filter(number="W-0001").update(payer="Бобчуk Петро")
    street = Street.objects.create(type="вул.", name="Мhрії", key=fold("Мhрії"))
    StreetName.objects.create(street=city.streets["Свободи"], name="Садоbа", key=fold("Садоbа"))
    search_index_rebuild()
    entries, streets, terms = state()
    latin = [city.dwellings["0001"].id, city.dwellings["0002"].id]  # a payer's, a resident's Latin letter
    untouched = set(
        SearchEntry.objects.exclude(dwelling_id__in=latin, kind__in=["person", "payer"]).values_list("id")
    )
    assert {("s", "ткачуkевич"), ("s", "бобчуk"), ("t", "мhріі"), ("t", "садоbа")} <= terms
    # the keys as the previous folding wrote them (a small k, h, b read as Cyrillic), without their words
    SearchEntry.objects.filter(key="ткачуkевич").update(key="ткачуkевич".replace("k", "к"))
    SearchEntry.objects.filter(key="бобчуk").update(key="бобчук")
    SearchStreet.objects.filter(street=street).update(key="мнріі")
    SearchStreet.objects.filter(key="садоbа").update(key="садова")
    SearchTerm.objects.filter(term__in=["ткачуkевич", "бобчуk", "мhріі", "садоbа"]).delete()
    assert dwelling_search(query="Ткачуkевич", user=None) == []

    refold.forward(apps, SimpleNamespace(connection=connection))

    assert state() == (entries, streets, terms)
    assert untouched - set(SearchEntry.objects.values_list("id")) == set()
    assert [h.dwelling_id for h in dwelling_search(query="Ткачуkевич", user=None)] == [
        city.dwellings["0002"].id
    ]
    assert [
        h.dwelling_id for h in dwelling_search(query="Мhрії", user=None)
    ] == []  # a street without dwellings
    assert "ткачуkевич" in _fuzzy_candidates("s", "ткачуkевич", 2)  # the trigram index has the new word


def test_an_index_in_step_or_empty_is_left_as_it_is(city):
    before = state()
    refold.forward(apps, SimpleNamespace(connection=connection))
    assert state() == before
    SearchEntry.objects.all().delete()
    SearchStreet.objects.all().delete()
    refold.forward(apps, SimpleNamespace(connection=connection))
    assert (SearchEntry.objects.count(), SearchStreet.objects.count()) == (0, 0)
