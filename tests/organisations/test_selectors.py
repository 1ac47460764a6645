"""Names people read for codes: services and organisations."""

import pytest

from merezha.organisations.models import Service
from merezha.organisations.selectors import organisation_count, organisation_names, service_names

pytestmark = pytest.mark.django_db


def test_service_names_of_the_network_codes():
    names = service_names()
    assert (names["water"], names["heat"], names["rent"]) == ("Водопостачання", "Опалення", "Квартплата")
    Service.objects.create(code="intercom", name="")
    assert service_names()["intercom"] == "intercom"  # unnamed: its code


def test_organisation_names_of_the_codes_asked(make_org):
    make_org("provider", code="VODO")
    make_org("payment_point", code="P-01")
    assert organisation_names(codes=["VODO", "P-01", "NOPE"]) == {"VODO": "VODO", "P-01": "P-01"}
    assert organisation_names(codes=[]) == {}


def test_organisation_count_counts_every_organisation(make_org):
    before = organisation_count()
    make_org("provider", code="VODO")
    make_org("payment_point", code="P-01")
    assert organisation_count() == before + 2
