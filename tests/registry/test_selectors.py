"""Address matching against the register in the database (`registry.selectors`)."""

import datetime as dt

import pytest

from merezha.core.roles import OrgKind
from merezha.registry.matching import MatchStatus
from merezha.registry.models import Building, Dwelling
from merezha.registry.selectors import address_match, dwelling_index_build
from merezha.registry.services import registry_import

pytestmark = pytest.mark.django_db

HEADER = "dwelling;street;house;apartment;surname\n"


@pytest.fixture
def block_house(sample_streets, tmp_path, make_org):
    """House 12 корп. 2 on вул. Свободи, written as the housing office writes it, with apartments 5 and 6."""
    path = tmp_path / "register.csv"
    path.write_text(
        HEADER + "D5;вул. Свободи;12 корп. 2;5;Іваненко\nD6;вул. Свободи;12 корп. 2;6;Петренко\n",
        encoding="utf-8",
    )
    registry_import(
        str(path), office=make_org(OrgKind.HOUSING_OFFICE, code="ZHEK-01"), today=dt.date(2026, 10, 1)
    )
    return Dwelling.objects.get(office_ref="D5")


@pytest.mark.parametrize(
    "house", ["12 корп. 2", "12, корп. 2", "12,корп.2", "12, к. 2", "12 , корпус 2", "12к2"]
)
def test_a_block_written_with_a_comma_matches_the_dwelling(block_house, house):
    m = address_match(street="вул. Свободи", house=house, apartment="5")
    assert (m.status, m.dwelling_id) == (MatchStatus.MATCHED, block_house.id)


def test_a_one_line_address_with_a_comma_before_the_block_matches(block_house):
    m = dwelling_index_build().match_text("вул. Свободи, 12, корп. 2, кв. 5")
    assert (m.status, m.dwelling_id) == (MatchStatus.MATCHED, block_house.id)


def test_a_register_written_with_the_comma_has_the_same_building(block_house, tmp_path, make_org):
    path = tmp_path / "again.csv"
    path.write_text(HEADER + "D5;вул. Свободи;12, корп. 2;5;Іваненко\nD6;вул. Свободи;12,к.2;6;Петренко\n")
    registry_import(str(path), office=block_house.office, today=dt.date(2026, 11, 1))
    assert list(Building.objects.values_list("number", "key")) == [("12 корп. 2", "12к2")]
    assert set(Dwelling.objects.values_list("building_id", flat=True)) == {block_house.building_id}


@pytest.mark.parametrize(
    "address",
    [
        "вул. Свободи, 12 корп. 2, кв. 5",
        "вул. Свободи 12 к 2 кв 5",
        "вул. Свободи, 12, блок 2, кв. 5",
        "вул. Свободи, 12 секція 2, квартира 5",
        "Свободи, будинок 12 корпус 2, кв-ра 5",
    ],
)
def test_one_line_addresses_with_every_block_word_match(block_house, address):
    m = dwelling_index_build().match_text(address)
    assert (m.status, m.dwelling_id) == (MatchStatus.MATCHED, block_house.id)


@pytest.mark.parametrize(
    "address",
    ["вул. Свободи, 7 а, кв. 3", "вул. Свободи 7 А кв 3", "Свободи, буд. 7-а, 3", "вул. Свободи, 7а, кв. 3"],
)
def test_one_line_address_with_the_house_letter_apart_matches(sample_streets, tmp_path, make_org, address):
    path = tmp_path / "register.csv"
    path.write_text(HEADER + "D3;вул. Свободи;7а;3;Іваненко\n", encoding="utf-8")
    registry_import(str(path), office=make_org(OrgKind.HOUSING_OFFICE, code="ZHEK-01"))
    m = dwelling_index_build().match_text(address)
    assert (m.status, m.dwelling_id) == (MatchStatus.MATCHED, Dwelling.objects.get().id)


def test_register_counts_count_streets_and_only_active_dwellings_and_residents(block_house):
    from merezha.registry.models import Person, Street
    from merezha.registry.selectors import register_counts

    Dwelling.objects.filter(office_ref="D6").update(is_active=False)
    Person.objects.filter(surname="Петренко").update(is_active=False)
    counts = register_counts()
    assert (counts.streets, counts.dwellings, counts.residents) == (Street.objects.count(), 1, 1)
    assert counts.streets > 0
