from merezha.registry.matching import fold
from merezha.registry.models import Person
from merezha.search.models import SearchEntry, SearchTerm
from merezha.search.selectors import dwelling_search
from merezha.search.services import search_index_rebuild, search_index_refresh


def test_rebuild_counts(city):
    counts = search_index_rebuild()
    # 7 dwellings; 9 residents (4 with a tax id); 4 accounts with 2 payers, each with a tax id
    assert SearchEntry.objects.filter(kind="person").count() == 9
    assert SearchEntry.objects.filter(kind="tax_id").count() == 6
    assert SearchEntry.objects.filter(kind="account").count() == 4
    assert SearchEntry.objects.filter(kind="payer").count() == 2
    assert SearchEntry.objects.filter(kind="ref").count() == 7
    assert counts["entries"] == 28
    assert set(SearchTerm.objects.filter(kind="t").values_list("term", flat=True)) == {
        "свободи",
        "комсомольська",
        "героів майдану",
        "героів",
        "майдану",
        "фрунзе",
        "камянецька",
        "миру",
        # the same names in Latin letters (KMU 2010, folded as Latin surnames are)
        "svobodi",
        "komsomolska",
        "heroiv maidanu",
        "heroiv",
        "maidanu",
        "frunze",
        "kamianetska",
        "miru",
    }


def test_refresh_picks_up_a_new_resident(city):
    dwelling = city.dwellings["0003"]
    assert dwelling_search(query="Зінченко", user=None) == []
    Person.objects.create(dwelling=dwelling, surname="Зінченко", name="Ліна", surname_key=fold("Зінченко"))
    search_index_refresh(dwelling_ids=[dwelling.id])
    assert [h.dwelling_id for h in dwelling_search(query="Зінченко", user=None)] == [dwelling.id]
    assert [h.dwelling_id for h in dwelling_search(query="Zinchenko", user=None)] == [dwelling.id]
    assert [h.dwelling_id for h in dwelling_search(query="Зінчинко", user=None)] == [dwelling.id]
    # the rest of the index is untouched
    assert len(dwelling_search(query="Коваленко", user=None)) == 2


def test_refresh_drops_a_resident_who_left(city):
    person = Person.objects.get(surname="Шевченко")
    person.is_active = False
    person.save(update_fields=["is_active"])
    search_index_refresh(dwelling_ids=[person.dwelling_id])
    assert dwelling_search(query="Шевченко", user=None) == []
    assert dwelling_search(query="2176496742", user=None) == []


def test_rebuild_is_repeatable(city):
    first = search_index_rebuild()
    assert search_index_rebuild() == first
    assert len(dwelling_search(query="Шевчнеко", user=None)) == 1


def test_reindex_command(city):
    from io import StringIO

    from django.core.management import call_command

    SearchEntry.objects.all().delete()
    assert dwelling_search(query="Шевченко", user=None) == []
    out = StringIO()
    call_command("search-reindex", stdout=out)
    assert out.getvalue().startswith("search index rebuilt: 28 entries, 16 street names")
    assert len(dwelling_search(query="Шевченко", user=None)) == 1
