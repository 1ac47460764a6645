"""A small city for the desk's tests: streets with former names, a register, three providers' snapshots (one stale).

Created directly through the models (no import files), so that every test knows exactly what is there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from merezha.core.roles import OrgKind
from merezha.registry.matching import apartment_key, fold, house_key

STREETS = [
    ("вул.", "Свободи", ["Комсомольська"]),
    ("вул.", "Героїв Майдану", ["Фрунзе"]),
    ("вул.", "Кам'янецька", []),
    ("просп.", "Миру", []),
]
# (street, house, apartment, office_ref, area, [(surname, name, patronymic, tax_id)])
DWELLINGS = [
    (
        "Свободи",
        "12",
        "1",
        "0001",
        "54.20",
        [("Коваленко", "Іван", "Петрович", "1779483742"), ("Коваленко", "Олена", "Іванівна", "")],
    ),
    ("Свободи", "12", "2", "0002", "48.00", [("Коваленок", "Петро", "Ігорович", "")]),
    ("Свободи", "12", "3", "0003", "61.10", [("Шевченко", "Тарас", "Григорович", "2176496742")]),
    ("Свободи", "12а", "", "0004", "90.00", [("Бондаренко", "Василь", "Васильович", "")]),
    (
        "Кам'янецька",
        "7",
        "5",
        "0005",
        "42.90",
        [("П'ятничук", "Юрій", "Юрійович", "3250463219"), ("Коваленкова", "Ніна", "Юріївна", "")],
    ),
    ("Героїв Майдану", "5", "10", "0006", "70.00", [("Григоренко", "Олег", "Іванович", "2612664969")]),
    ("Миру", "3", "1", "0007", "33.00", [("Ковальчук", "Марія", "Степанівна", "")]),
]
# providers: (code, name, days between its snapshot's payments_through and today)
PROVIDERS = [("VODO", "Водоканал", 3), ("TEPLO", "Теплокомуненерго", 60), ("KVART", "Квартплата ЖЕК", 3)]
# provider accounts: (provider, office_ref of the dwelling, number, service, payer, tax_id, closing kopecks)
ACCOUNTS = [
    ("VODO", "0001", "W-0001", "water", "Коваленко Іван Петрович", "1779483742", 45000),
    ("TEPLO", "0001", "H-0001", "heat", "Коваленко Іван Петрович", "1779483742", 120050),
    ("KVART", "0001", "R-0001", "rent", "Коваленко Іван Петрович", "1779483742", 30000),
    ("VODO", "0007", "1000123", "water", "Мельник Степан Іванович", "2038329176", 9900),
]


@dataclass
class City:
    office: Any
    providers: dict[str, Any] = field(default_factory=dict)
    dwellings: dict[str, Any] = field(default_factory=dict)  # by office_ref
    streets: dict[str, Any] = field(default_factory=dict)
    accounts: dict[str, Any] = field(default_factory=dict)


def city_seed(*, today: dt.date | None = None) -> City:
    from merezha.organisations.models import Organisation
    from merezha.organisations.services import service_ensure
    from merezha.providers.models import Account, Snapshot
    from merezha.registry.models import Building, Dwelling, Person, Street, StreetName
    from merezha.search.services import search_index_rebuild

    office = Organisation.objects.create(code="ZHEK-01", name="ЖЕК № 1", kind=OrgKind.HOUSING_OFFICE)
    city = City(office=office)
    for stype, name, formers in STREETS:
        street = Street.objects.create(type=stype, name=name, key=fold(name))
        for former in formers:
            StreetName.objects.create(street=street, name=former, key=fold(former))
        city.streets[name] = street
    for street_name, house, apt, ref, area, persons in DWELLINGS:
        building, _ = Building.objects.get_or_create(
            street=city.streets[street_name],
            key=house_key(house),
            defaults={"number": house, "office": office},
        )
        dwelling = Dwelling.objects.create(
            building=building,
            apartment=apt,
            apartment_key=apartment_key(apt),
            office=office,
            office_ref=ref,
            area=area,
        )
        city.dwellings[ref] = dwelling
        for surname, name, patronymic, tax_id in persons:
            Person.objects.create(
                dwelling=dwelling,
                surname=surname,
                name=name,
                patronymic=patronymic,
                tax_id=tax_id,
                surname_key=fold(surname),
                relation="head",
            )
    from django.utils import timezone

    today = today or timezone.localdate()
    snapshots = {}
    for code, name, age in PROVIDERS:
        provider = Organisation.objects.create(code=code, name=name, kind=OrgKind.PROVIDER)
        city.providers[code] = provider
        day = today - dt.timedelta(days=age)
        snapshots[code] = Snapshot.objects.create(
            provider=provider, period=day.replace(day=1), payments_through=day, status=Snapshot.Status.APPLIED
        )
    for code, ref, number, service_code, payer, tax_id, closing in ACCOUNTS:
        dwelling = city.dwellings[ref]
        account = Account.objects.create(
            provider=city.providers[code],
            number=number,
            service=service_ensure(code=service_code, name=service_code),
            dwelling=dwelling,
            match_status=Account.Match.MATCHED,
            street=dwelling.building.street.name,
            house=dwelling.building.number,
            apartment=dwelling.apartment,
            payer=payer,
            tax_id=tax_id,
            closing=closing,
            snapshot=snapshots[code],
        )
        city.accounts[number] = account
    search_index_rebuild()
    return city
