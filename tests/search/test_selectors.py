"""Search behaviour: the same file passes on SQLite (FTS5) and PostgreSQL (pg_trgm)."""

import pytest

from merezha.search.selectors import allowed_edits, dwelling_search, edit_distance, term_matches
from merezha.search.translit import latin_fold, transliterate


def refs(city, query):
    by_id = {d.id: ref for ref, d in city.dwellings.items()}
    return [by_id[h.dwelling_id] for h in dwelling_search(query=query, user=None)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Свободи 12 1", ["0001"]),
        ("вул. Свободи, буд. 12, кв. 1", ["0001"]),
        ("Комсомольська 12 2", ["0002"]),  # former name
        ("вулиця комсомольська 12, кв. 3", ["0003"]),
        ("Cвoбoди 12 1", ["0001"]),  # Latin look-alikes С, о
        ("Свобoди, 12-А", ["0004"]),  # house letter with a dash, private house
        ("Свободи 12 А", ["0004"]),
        ("Свбооди 12 3", ["0003"]),  # a typo (transposition) in the street
        ("Камʼянецька 7 5", ["0005"]),  # apostrophe variant
        ("Кам`янецька 7, кв.5", ["0005"]),
        ("Камянецька 7 5", ["0005"]),
        ("Фрунзе 5 10", ["0006"]),  # former name of a two-word street
        ("Майдану 5 10", ["0006"]),  # one word of the name
        ("Героїв Майдану 5 кв 10", ["0006"]),
        ("Героiв Майдану 5 10", ["0006"]),  # і for ї
        ("пр. Миру 3 1", ["0007"]),
        ("Миру 3", ["0007"]),
    ],
)
def test_address(city, query, expected):
    assert refs(city, query) == expected


@pytest.mark.parametrize(
    "query",
    ["Свободи 12 корп. 2, кв. 5", "Свободи, 12, корп. 2, кв. 5", "Свободи 12,к.2 5", "Свободи 12 , корпус 2"],
)
def test_address_with_a_block_after_a_comma(city, query):
    from merezha.registry.matching import house_key
    from merezha.registry.models import Building, Dwelling

    building = Building.objects.create(
        street=city.streets["Свободи"], number="12 корп. 2", key=house_key("12 корп. 2"), office=city.office
    )
    dwelling = Dwelling.objects.create(
        building=building, apartment="5", apartment_key="5", office=city.office, office_ref="0012"
    )
    assert [h.dwelling_id for h in dwelling_search(query=query, user=None)] == [dwelling.id]


def test_address_without_apartment_lists_the_building(city):
    assert refs(city, "Свободи 12") == ["0001", "0002", "0003"]


def test_street_alone_lists_its_dwellings(city):
    assert refs(city, "Комсомольська") == ["0001", "0002", "0003", "0004"]


def test_unknown_address_finds_nothing(city):
    assert refs(city, "Зарічанська 5") == []
    assert refs(city, "Свободи 99") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("1779483742", ["0001"]),  # РНОКПП of a resident (and of the provider's payer)
        ("3250463219", ["0005"]),
        ("2038329176", ["0007"]),  # only a provider's payer has it
        ("1000123", ["0007"]),  # a provider account number
        ("0006", ["0006"]),  # the housing office's dwelling id
        ("W-0001", ["0001"]),  # an account number with letters
        ("w-0001", ["0001"]),
        ("1234567890", []),
    ],
)
def test_numbers(city, query, expected):
    assert refs(city, query) == expected


def test_tax_id_result_shows_it_masked(city):
    (hit,) = dwelling_search(query="1779483742", user=None)
    assert hit.matched == "tax id ******3742"
    assert (hit.match_kind, hit.match_value) == ("tax_id", "******3742")
    assert "1779483742" not in repr(hit)


@pytest.mark.parametrize(
    ("query", "matched", "kind", "value"),
    [
        ("W-0001", "account W-0001", "account", "W-0001"),
        ("0006", "dwelling id 0006", "dwelling_id", "0006"),
        ("Шевченко", "Шевченко Тарас Григорович", "", ""),
    ],
)
def test_why_a_hit_was_found_as_text_and_as_data(city, query, matched, kind, value):
    (hit,) = dwelling_search(query=query, user=None)
    assert (hit.matched, hit.match_kind, hit.match_value) == (matched, kind, value)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Коваленко", ["0001", "0005"]),  # exact, then the prefix Коваленкова
        ("коваленко", ["0001", "0005"]),
        ("KОВАЛЕНКО", ["0001", "0005"]),  # Latin K
        ("Коваленко Іван", ["0001"]),
        ("Коваленко І", ["0001"]),
        ("Коваленко І. П.", ["0001"]),
        ("Коваленко О", ["0001"]),
        ("Коваленко Петро", []),
        ("Іван Коваленко", ["0001"]),  # first name first
        ("Ковалинко", ["0001"]),  # one typo (Коваленок, two away, is not asked for)
        ("Каваленоо", ["0001", "0002"]),  # two typos: Коваленко and Коваленок
        ("Шевчнеко", ["0003"]),  # transposition
        ("Шевченко Т Г", ["0003"]),
        ("Пятничук", ["0005"]),
        ("П’ятничук", ["0005"]),
        ("Коваль", ["0007"]),  # prefix Ковальчук
        ("Мельник", ["0007"]),  # a provider's payer not registered there
        ("Мельнік", ["0007"]),
    ],
)
def test_surname(city, query, expected):
    assert refs(city, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Kovalenko", ["0001", "0005"]),
        ("kovalenko ivan", ["0001"]),
        ("Shevchenko", ["0003"]),
        ("Hryhorenko", ["0006"]),
        ("Grigorenko", ["0006"]),  # Russian-style spelling
        ("Piatnychuk", ["0005"]),
        ("Pyatnichuk", ["0005"]),
        ("Kovalchuk", ["0007"]),
        ("Melnyk", ["0007"]),
        ("Shevcenko", ["0003"]),  # a typo in Latin
    ],
)
def test_latin_surname(city, query, expected):
    assert refs(city, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Bobko", ["Бобко"]),
        ("Bobko Іван", ["Бобко"]),  # a Latin surname stays Latin among Cyrillic words: not `Вовко`
        ("Іван Bobko", ["Бобко"]),
        ("BОВКО", ["Вовко"]),  # a capital Latin B inside a Cyrillic word is `В`
        ("Вовко Іван", ["Вовко"]),
    ],
)
def test_latin_letters_in_a_query(city, query, expected):
    from merezha.registry.matching import fold
    from merezha.registry.models import Person
    from merezha.search.services import search_index_refresh

    owners = {}
    for surname, ref in (("Бобко", "0002"), ("Вовко", "0003")):
        dwelling = city.dwellings[ref]
        Person.objects.create(dwelling=dwelling, surname=surname, name="Іван", surname_key=fold(surname))
        owners[dwelling.id] = surname
    search_index_refresh(dwelling_ids=list(owners))
    assert [owners.get(h.dwelling_id) for h in dwelling_search(query=query, user=None)] == expected


def test_ranking_exact_prefix_fuzzy(city):
    hits = dwelling_search(query="Коваленко", user=None)
    assert [h.rank for h in hits] == [0, 2]
    hits = dwelling_search(query="Каваленоо", user=None)
    assert [h.rank for h in hits] == [6, 6]
    assert [h.rank for h in dwelling_search(query="Ковалинко", user=None)] == [4]


def test_result_shows_address_office_residents_and_full_name(city):
    (hit,) = dwelling_search(query="Коваленко Іван", user=None)
    assert hit.address == "вул. Свободи, 12, кв. 1"
    assert hit.office == "ЖЕК № 1"
    assert hit.residents == 2
    assert hit.matched == "Коваленко Іван Петрович"


def test_namesakes_are_told_apart_by_full_name_and_address(city):
    """Two people whose surname and initials agree: the full name and the address tell them apart."""
    from merezha.registry.matching import fold
    from merezha.registry.models import Person
    from merezha.search.services import search_index_refresh

    other = city.dwellings["0004"]
    Person.objects.create(
        dwelling=other,
        surname="Коваленко",
        name="Ірина",
        patronymic="Павлівна",
        surname_key=fold("Коваленко"),
    )
    search_index_refresh(dwelling_ids=[other.id])
    hits = dwelling_search(query="Коваленко І", user=None)
    assert [(h.matched, h.address) for h in hits] == [
        ("Коваленко Іван Петрович", "вул. Свободи, 12, кв. 1"),
        ("Коваленко Ірина Павлівна", "вул. Свободи, 12а"),
    ]


@pytest.mark.parametrize(
    ("query", "ref", "rank", "matched"),
    [
        ("Svobody 12 3", "0003", 0, "вул. Свободи"),
        ("svobodi, 12, 3", "0003", 0, "вул. Свободи"),
        ("Swobody 12 3", "0003", 0, "вул. Свободи"),
        ("Svobodu 12 3", "0003", 4, "вул. Свободи"),
        ("Komsomolska 12 1", "0001", 0, "вул. Свободи (Комсомольська)"),
        ("Heroiv Maidanu 5 10", "0006", 0, "вул. Героїв Майдану"),
        ("Geroiv Maidanu 5 10", "0006", 0, "вул. Героїв Майдану"),
    ],
)
def test_latin_street_names_are_found(city, query, ref, rank, matched):
    (hit,) = dwelling_search(query=query, user=None)
    assert (hit.dwelling_id, hit.rank, hit.matched) == (city.dwellings[ref].id, rank, matched)


def test_a_latin_street_on_its_own_lists_its_dwellings(city):
    hits = dwelling_search(query="Heroiv Maidanu", user=None)
    assert {h.matched for h in hits} == {"вул. Героїв Майдану"}
    assert city.dwellings["0006"].id in [h.dwelling_id for h in hits]
    # a Latin word that names a person is that person, not a street
    assert [h.matched for h in dwelling_search(query="Kovalenko Ivan", user=None)] == [
        "Коваленко Іван Петрович"
    ]


def test_former_name_shown_in_result(city):
    (hit,) = dwelling_search(query="Комсомольська 12 1", user=None)
    assert hit.matched == "вул. Свободи (Комсомольська)"


def test_results_are_capped(city):
    assert len(dwelling_search(query="Свободи", limit=2, user=None)) == 2


@pytest.mark.parametrize("query", ["", " ", "к", "%%", "'''", '"', "*", "OR", "12", "a" * 500, "NEAR(x)"])
def test_odd_queries_do_not_fail(city, query):
    assert isinstance(dwelling_search(query=query, user=None), list)


def test_term_matches_ranks(city):
    assert term_matches("s", "коваленко") == {"коваленко": 0, "коваленкова": 1}
    assert term_matches("s", "ковалинко") == {"коваленко": 2}
    assert term_matches("s", "каваленоо") == {"коваленко": 3, "коваленок": 3}


def test_edit_distance():
    assert edit_distance("коваленко", "коваленко", 2) == 0
    assert edit_distance("шевчнеко", "шевченко", 2) == 1
    assert edit_distance("ковалинко", "коваленок", 2) == 2
    assert edit_distance("abc", "xyz", 1) == 2
    assert [allowed_edits(w) for w in ("ліс", "мирон", "коваленко")] == [0, 1, 2]


def test_transliteration_kmu_2010():
    assert transliterate("Коваленко") == "Kovalenko"
    assert transliterate("Згурський") == "Zghurskyi"
    assert transliterate("Єременко") == "Yeremenko"
    assert transliterate("Юрій Ївга") == "Yurii Yivha"
    assert transliterate("П'ятничук") == "Piatnychuk"
    assert transliterate("Щербак") == "Shcherbak"
    assert latin_fold("Grigorenko") == latin_fold(transliterate("Григоренко")) == "hrihorenko"


def test_pg_similarity_floor():
    from merezha.search.selectors import pg_similarity_floor

    assert [pg_similarity_floor(n, 1) for n in (4, 5, 7)] == [0.1, 0.18, 0.3]
    assert [pg_similarity_floor(n, 2) for n in (8, 9, 12)] == [0.11, 0.15, 0.27]


def test_one_edit_variants():
    from merezha.search.selectors import one_edit_variants

    variants = one_edit_variants("ліс", "абвгдежзийклмнопрстуфхцчшщьюяі")
    assert {"лс", "ілс", "лис", "лісі", "ліст"} <= variants
    assert "ліс" not in variants
    assert len(variants) == len({v for v in variants if edit_distance("ліс", v, 1) == 1})


# --- the audit of searches ------------------------------------------------------------------------


def test_a_persons_search_is_audited_with_the_query_masked_and_the_dwellings_shown(city, make_user):
    from merezha.core.models import AuditEntry
    from merezha.core.roles import Role
    from merezha.core.services import audit_tax_id_hash

    cashier = make_user(Role.CASHIER)
    hits = dwelling_search(query=" 1779 483 742 ", user=cashier)
    assert [h.dwelling_id for h in hits] == [city.dwellings["0001"].pk]
    surname = dwelling_search(query="Коваленко", user=cashier, channel="api")
    entry, by_name = AuditEntry.objects.order_by("id")
    assert (entry.action, entry.user, entry.organisation_code, entry.channel) == (
        "dwelling_search",
        cashier,
        cashier.organisation.code,
        "web",
    )
    assert (entry.query, entry.tax_id_hash, entry.object_id, entry.detail) == (
        "******3742",
        audit_tax_id_hash("1779483742"),
        str(city.dwellings["0001"].pk),
        {"results": 1},
    )
    assert (by_name.query, by_name.tax_id_hash, by_name.channel, by_name.object_id) == (
        "Коваленко",
        "",
        "api",
        "",
    )
    shown = sorted(by_name.subjects.values_list("object_id", flat=True))
    assert shown == sorted(h.dwelling_id for h in surname) and len(shown) > 1


def test_no_audit_without_a_person_or_a_search(city, make_user):
    from merezha.core.models import AuditEntry
    from merezha.core.roles import Role

    dwelling_search(query="Коваленко", user=None)  # a benchmark's or a ranking test's search
    assert dwelling_search(query="К", user=make_user(Role.CASHIER)) == []  # too short: nothing is searched
    assert not AuditEntry.objects.exists()
    dwelling_search(query="Нікого", user=make_user(Role.CASHIER))  # a search that finds nobody is kept
    assert AuditEntry.objects.get().detail == {"results": 0}
