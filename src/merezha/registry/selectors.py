"""Reads of the city register: the street index, address matching, dwellings and residents."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from merezha.registry.matching import (
    MatchStatus,
    StreetIndex,
    address_split,
    apartment_key,
    house_key,
)
from merezha.registry.models import Building, Dwelling, Person, Street, StreetName


def street_index_build() -> StreetIndex:
    index = StreetIndex()
    for sid, stype, name in Street.objects.values_list("id", "type", "name"):
        index.add(sid, stype, name)
    for sid, stype, name in StreetName.objects.values_list("street_id", "street__type", "name"):
        index.add(sid, stype, name, former=True)
    return index


@dataclass(frozen=True)
class AddressMatch:
    status: MatchStatus
    dwelling_id: int | None = None
    building_id: int | None = None
    street_id: int | None = None
    candidates: tuple[int, ...] = ()
    reason: str = ""


@dataclass
class DwellingIndex:
    """Every active dwelling by (street, house key, apartment key), for matching many rows at once."""

    street_index: StreetIndex
    buildings: dict[tuple[int, str], int]
    dwellings: dict[tuple[int, str], list[int]]

    def match(self, *, street: str, house: str, apartment: str = "") -> AddressMatch:
        sm = self.street_index.match(street)
        if sm.status is not MatchStatus.MATCHED or sm.street_id is None:
            return AddressMatch(sm.status, candidates=sm.candidates, reason=sm.reason)
        hkey = house_key(house)
        if not hkey:
            return AddressMatch(MatchStatus.UNMATCHED, street_id=sm.street_id, reason="empty house number")
        building_id = self.buildings.get((sm.street_id, hkey))
        if building_id is None:
            return AddressMatch(
                MatchStatus.UNMATCHED, street_id=sm.street_id, reason=f"no house {house} on this street"
            )
        found = self.dwellings.get((building_id, apartment_key(apartment)), [])
        if not found:
            what = f"apartment {apartment}" if apartment_key(apartment) else "whole-house dwelling"
            return AddressMatch(
                MatchStatus.UNMATCHED,
                street_id=sm.street_id,
                building_id=building_id,
                reason=f"the register has no {what} in house {house}",
            )
        if len(found) > 1:
            return AddressMatch(
                MatchStatus.AMBIGUOUS,
                street_id=sm.street_id,
                building_id=building_id,
                candidates=tuple(sorted(found)),
                reason=f"{len(found)} dwellings at this address",
            )
        return AddressMatch(
            MatchStatus.MATCHED, dwelling_id=found[0], building_id=building_id, street_id=sm.street_id
        )

    def match_text(self, text: str) -> AddressMatch:
        parts = address_split(text)
        if parts is None:
            return AddressMatch(MatchStatus.UNMATCHED, reason=f"cannot read an address in {text!r}")
        street, house, apartment = parts
        return self.match(street=street, house=house, apartment=apartment)


def dwelling_index_build() -> DwellingIndex:
    buildings = {(s, k): b for b, s, k in Building.objects.values_list("id", "street_id", "key")}
    dwellings: dict[tuple[int, str], list[int]] = {}
    for did, bid, akey in Dwelling.objects.filter(is_active=True).values_list(
        "id", "building_id", "apartment_key"
    ):
        dwellings.setdefault((bid, akey), []).append(did)
    return DwellingIndex(street_index_build(), buildings, dwellings)


def address_match(*, street: str, house: str, apartment: str = "") -> AddressMatch:
    """Match one address to one dwelling, or say honestly that it cannot."""
    return dwelling_index_build().match(street=street, house=house, apartment=apartment)


def dwelling_get(*, dwelling_id: int, office_id: int | None = None) -> Dwelling | None:
    qs = Dwelling.objects.select_related("building__street", "office").filter(pk=dwelling_id)
    if office_id is not None:
        qs = qs.filter(office_id=office_id)
    return qs.first()


def dwelling_list(*, office_id: int | None = None) -> QuerySet[Dwelling]:
    qs = Dwelling.objects.select_related("building__street").filter(is_active=True)
    if office_id is not None:
        qs = qs.filter(office_id=office_id)
    return qs


def person_list(*, dwelling_id: int, active_only: bool = True) -> QuerySet[Person]:
    qs = Person.objects.select_related("benefit").filter(dwelling_id=dwelling_id)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("id")


def street_list() -> QuerySet[Street]:
    return Street.objects.prefetch_related("former_names")


@dataclass(frozen=True)
class RegisterCounts:
    """The city's register in three figures (active dwellings and residents only)."""

    streets: int
    dwellings: int
    residents: int


def register_counts() -> RegisterCounts:
    """The city-wide figures of the register, for the information centre's and management's pages."""
    return RegisterCounts(
        streets=Street.objects.count(),
        dwellings=Dwelling.objects.filter(is_active=True).count(),
        residents=Person.objects.filter(is_active=True).count(),
    )
