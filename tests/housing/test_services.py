"""Editing the register by hand: every change is kept as a RegisterChange with who and when."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from merezha.housing import services
from merezha.housing.models import Absence
from merezha.registry.models import Person, RegisterChange

pytestmark = pytest.mark.django_db


def history(dwelling):
    return [
        (
            c.kind,
            c.person.surname if c.person else "",
            c.field,
            c.old_value,
            c.new_value,
            c.effective_date,
            c.recorded_by.username,
            c.source,
        )
        for c in RegisterChange.objects.filter(dwelling=dwelling).order_by("id")
    ]


def test_register_a_birth_and_an_arrival(city):
    d2 = city.dwellings["D2"]
    baby = services.person_register(
        office=city.office,
        dwelling_id=d2.pk,
        user=city.clerk,
        surname=" Петренко ",
        name="Софія",
        birth_date=dt.date(2026, 11, 2),
        relation="child",
        registered_from=dt.date(2026, 11, 5),
        born=True,
    )
    lodger = services.person_register(
        office=city.office,
        dwelling_id=d2.pk,
        user=city.clerk,
        surname="Мельник",
        name="Іван",
        tax_id="1234567899",
        benefit_code="VET",
        registered_from=dt.date(2026, 11, 6),
    )
    assert (baby.full_name, baby.surname_key, baby.registered_from, baby.is_active) == (
        "Петренко Софія",
        "петренко",
        dt.date(2026, 11, 5),
        True,
    )
    assert (lodger.tax_id, lodger.benefit.code) == ("1234567899", "VET")
    assert history(d2) == [
        ("born", "Петренко", "", "", "", dt.date(2026, 11, 5), "clerk", "manual"),
        ("arrived", "Мельник", "", "", "", dt.date(2026, 11, 6), "clerk", "manual"),
    ]


def test_deregister_moved_out_and_died(city):
    petro = services.person_deregister(
        office=city.office,
        person_id=city.persons["petro"].pk,
        user=city.clerk,
        date=dt.date(2026, 11, 15),
        reason="died",
    )
    services.person_deregister(
        office=city.office,
        person_id=city.persons["maria"].pk,
        user=city.clerk,
        date=dt.date(2026, 11, 20),
        reason="moved_out",
    )
    assert (petro.is_active, petro.registered_until) == (False, dt.date(2026, 11, 15))
    assert history(city.dwellings["D1"]) == [
        ("died", "Іваненко", "reason", "", "died", dt.date(2026, 11, 15), "clerk", "manual"),
        ("left", "Іваненко", "reason", "", "moved_out", dt.date(2026, 11, 20), "clerk", "manual"),
    ]
    with pytest.raises(services.RegisterEditError, match="no longer registered"):
        services.person_deregister(
            office=city.office, person_id=petro.pk, user=city.clerk, date=dt.date(2026, 11, 16), reason="died"
        )


def test_relation_benefit_and_area_changes(city):
    services.person_relation_change(
        office=city.office,
        person_id=city.persons["olena"].pk,
        user=city.clerk,
        relation="head",
        date=dt.date(2026, 11, 1),
    )
    services.person_benefit_change(
        office=city.office,
        person_id=city.persons["olena"].pk,
        user=city.clerk,
        benefit_code="",
        date=dt.date(2026, 11, 2),
    )
    services.person_benefit_change(
        office=city.office,
        person_id=city.persons["petro"].pk,
        user=city.clerk,
        benefit_code="PENS",
        date=dt.date(2026, 11, 3),
    )
    services.dwelling_area_change(
        office=city.office,
        dwelling_id=city.dwellings["D1"].pk,
        user=city.clerk,
        area=Decimal("52.5"),
        date=dt.date(2026, 11, 4),
    )
    # the same value again records nothing
    services.dwelling_area_change(
        office=city.office,
        dwelling_id=city.dwellings["D1"].pk,
        user=city.clerk,
        area=Decimal("52.50"),
        date=dt.date(2026, 11, 5),
    )
    assert history(city.dwellings["D1"]) == [
        ("person_changed", "Іваненко", "relation", "spouse", "head", dt.date(2026, 11, 1), "clerk", "manual"),
        ("person_changed", "Іваненко", "benefit", "VET", "", dt.date(2026, 11, 2), "clerk", "manual"),
        ("person_changed", "Іваненко", "benefit", "", "PENS", dt.date(2026, 11, 3), "clerk", "manual"),
        ("dwelling_changed", "", "area", "50.00", "52.50", dt.date(2026, 11, 4), "clerk", "manual"),
    ]
    city.dwellings["D1"].refresh_from_db()
    assert city.dwellings["D1"].area == Decimal("52.50")


@pytest.mark.parametrize(
    ("kwargs", "field", "reason"),
    [
        ({"surname": " "}, "surname", "a surname is required"),
        ({"registered_from": dt.date(2026, 11, 29)}, "registered_from", "date 2026-11-29 is in the future"),
        (
            {"birth_date": dt.date(2026, 11, 10)},
            "birth_date",
            "the birth date is after the registration date",
        ),
        ({"born": True}, "birth_date", "a birth needs the birth date"),
        ({"tax_id": "1234567890"}, "tax_id", "tax id 1234567890: wrong check digit"),
        ({"relation": "cousin"}, "relation", "unknown relation cousin"),
        ({"benefit_code": "NOPE"}, "benefit", "unknown benefit category NOPE"),
    ],
)
def test_register_refuses_bad_input_and_changes_nothing(city, kwargs, field, reason):
    args = {"surname": "Мельник", "registered_from": dt.date(2026, 11, 1)} | kwargs
    before = (Person.objects.count(), RegisterChange.objects.count())
    with pytest.raises(services.RegisterEditError) as err:
        services.person_register(
            office=city.office, dwelling_id=city.dwellings["D3"].pk, user=city.clerk, **args
        )
    assert (err.value.field, err.value.reason) == (field, reason)
    assert (Person.objects.count(), RegisterChange.objects.count()) == before


def test_other_offices_objects_are_not_found(city):
    with pytest.raises(services.NotYourObject):
        services.person_register(
            office=city.office,
            dwelling_id=city.dwellings["D6"].pk,
            user=city.clerk,
            surname="Х",
            registered_from=dt.date(2026, 11, 1),
        )
    with pytest.raises(services.NotYourObject):
        services.person_deregister(
            office=city.office,
            person_id=city.persons["ivan"].pk,
            user=city.clerk,
            date=dt.date(2026, 11, 1),
            reason="died",
        )
    with pytest.raises(services.NotYourObject):
        services.dwelling_area_change(
            office=city.office,
            dwelling_id=city.dwellings["D6"].pk,
            user=city.clerk,
            area=Decimal("10"),
            date=dt.date(2026, 11, 1),
        )
    assert RegisterChange.objects.count() == 0


def test_absences_do_not_overlap_and_are_cut_by_departure(city):
    maria = city.persons["maria"]
    services.absence_record(
        office=city.office,
        person_id=maria.pk,
        user=city.clerk,
        date_from=dt.date(2026, 9, 1),
        date_to=dt.date(2026, 12, 31),
        reason="навчання",
    )
    with pytest.raises(services.RegisterEditError, match="overlaps"):
        services.absence_record(
            office=city.office,
            person_id=maria.pk,
            user=city.clerk,
            date_from=dt.date(2026, 12, 1),
            date_to=dt.date(2027, 1, 5),
            reason="x",
        )
    with pytest.raises(services.RegisterEditError, match="ends before it starts"):
        services.absence_record(
            office=city.office,
            person_id=maria.pk,
            user=city.clerk,
            date_from=dt.date(2027, 2, 2),
            date_to=dt.date(2027, 2, 1),
            reason="x",
        )
    services.person_deregister(
        office=city.office,
        person_id=maria.pk,
        user=city.clerk,
        date=dt.date(2026, 11, 10),
        reason="moved_out",
    )
    assert list(Absence.objects.values_list("date_from", "date_to")) == [
        (dt.date(2026, 9, 1), dt.date(2026, 11, 9))
    ]


def test_bad_area(city):
    for text in ("abc", "-5", "0", "NaN"):
        with pytest.raises(services.RegisterEditError) as err:
            services.parse_area(text)
        assert err.value.field == "area"
