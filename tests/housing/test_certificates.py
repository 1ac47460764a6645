"""Certificates: numbered, frozen figures, verifiable through the public page, PDF with a QR link."""

from __future__ import annotations

import pytest

from merezha.core.certificates import certificate_verify
from merezha.housing import services

pytestmark = pytest.mark.django_db


def test_family_composition_payload(city):
    cert = services.family_composition_issue(
        office=city.office, dwelling_id=city.dwellings["D1"].pk, user=city.clerk
    )
    assert cert.kind == "family_composition" and cert.issuer_code == "ZHEK-1"
    assert cert.payload == {
        "dwelling": "D1",
        "address": "вул. Свободи, 1, кв. 1",
        "area": "50.00",
        "as_of": "2026-11-28",
        "count": 3,
        "persons": [
            {
                "name": "Іваненко Петро",
                "birth_date": "1970-03-01",
                "relation": "head",
                "relation_uk": "голова домогосподарства",
                "registered_from": "2020-01-01",
            },
            {
                "name": "Іваненко Олена",
                "birth_date": "1972-06-15",
                "relation": "spouse",
                "relation_uk": "чоловік / дружина",
                "registered_from": "2020-01-01",
            },
            {
                "name": "Іваненко Марія",
                "birth_date": "2010-05-05",
                "relation": "child",
                "relation_uk": "син / дочка",
                "registered_from": "2020-01-01",
            },
        ],
    }
    assert certificate_verify(number=cert.number, code=cert.code).genuine


def test_payment_status_payload(city):
    cert = services.payment_status_issue(
        office=city.office, dwelling_id=city.dwellings["D1"].pk, user=city.clerk
    )
    p = cert.payload
    assert [
        (a["provider_code"], a["service"], a["service_name"], a["account"], a["debt"], a["as_of"])
        for a in p["accounts"]
    ] == [
        ("RENT-P", "rent", "Квартплата", "R1", "1500.00", "2026-10-31"),
        ("WATER-P", "water", "Водопостачання", "W1", "120.50", "2026-10-31"),
    ]
    assert (p["total_debt"], p["has_debt"]) == ("1620.50", True)
    d4 = services.payment_status_issue(
        office=city.office, dwelling_id=city.dwellings["D4"].pk, user=city.clerk
    )
    assert (d4.payload["total_debt"], d4.payload["has_debt"]) == ("0.00", False)
    assert [a["debt"] for a in d4.payload["accounts"]] == ["-100.00", "0.00"]


def test_another_offices_dwelling_gets_no_certificate(city):
    with pytest.raises(services.NotYourObject):
        services.family_composition_issue(
            office=city.office, dwelling_id=city.dwellings["D6"].pk, user=city.clerk
        )
    with pytest.raises(services.NotYourObject):
        services.payment_status_issue(
            office=city.office, dwelling_id=city.dwellings["D6"].pk, user=city.clerk
        )


def test_pdf_views_and_verification(city, clerk_client, client):
    from merezha.core.models import Certificate

    for kind, url in (("family_composition", "family"), ("payment_status", "payments")):
        r = clerk_client.post(f"/housing/dwellings/{city.dwellings['D1'].pk}/certificates/{url}/")
        assert (
            r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")
        )
        cert = Certificate.objects.filter(kind=kind).get()
        assert cert.number in r["Content-Disposition"]
        assert clerk_client.get(f"/verify/{cert.number}/?c={cert.code}").status_code == 200
    assert (
        clerk_client.post(f"/housing/dwellings/{city.dwellings['D6'].pk}/certificates/family/").status_code
        == 404
    )
    assert (
        clerk_client.get(f"/housing/dwellings/{city.dwellings['D1'].pk}/certificates/family/").status_code
        == 405
    )


def test_certificate_html_is_ukrainian_with_qr(city, rf):
    from django.template.loader import render_to_string

    from merezha.core.certificates import certificate_verify_url, qr_data_uri

    cert = services.family_composition_issue(
        office=city.office, dwelling_id=city.dwellings["D1"].pk, user=city.clerk
    )
    url = certificate_verify_url(certificate=cert)
    html = render_to_string(
        "housing/certificate_family.html",
        {"cert": cert, "p": cert.payload, "verify_url": url, "qr": qr_data_uri(url)},
    )
    assert (
        "склад зареєстрованих" in html and "Іваненко Марія" in html and "data:image/svg+xml;base64," in html
    )
    assert f"?c={cert.code}" in html and cert.number in html


def test_payment_status_certificate_prints_names_and_amounts_as_people_read_them(city):
    from django.template.loader import render_to_string
    from django.utils import timezone

    from merezha.core.certificates import certificate_verify_url, qr_data_uri

    cert = services.payment_status_issue(
        office=city.office, dwelling_id=city.dwellings["D1"].pk, user=city.clerk
    )
    url = certificate_verify_url(certificate=cert)
    html = render_to_string(
        "housing/certificate_payments.html",
        {"cert": cert, "p": cert.payload, "verify_url": url, "qr": qr_data_uri(url)},
    )
    assert '<td><span title="rent">Квартплата</span><br><span class="provider">RENT-P</span></td>' in html
    assert '<span title="water">Водопостачання</span>' in html
    assert '<td class="num">1\u202f500,00</td>' in html and '<td class="num">120,50</td>' in html
    assert '<th class="num">1\u202f620,50\u00a0грн</th>' in html  # the total on its own: with its currency
    assert "1500.00" not in html and "1620.50" not in html
    assert f"від {timezone.localtime(cert.issued_at):%d.%m.%Y}</p>" in html  # dates as on every page


def test_issuing_a_certificate_is_audited_with_the_dwelling_and_persons_shown(city):
    from merezha.core.models import AuditEntry
    from merezha.registry.models import Person

    dwelling = city.dwellings["D1"]
    family = services.family_composition_issue(office=city.office, dwelling_id=dwelling.pk, user=city.clerk)
    services.payment_status_issue(office=city.office, dwelling_id=dwelling.pk, user=city.clerk)
    first, second = AuditEntry.objects.order_by("id")
    assert (first.action, first.user, first.organisation_code, first.object_id, first.detail) == (
        "housing.certificate_family",
        city.clerk,
        "ZHEK-1",
        str(dwelling.pk),
        {"certificate": family.number},
    )
    persons = sorted(Person.objects.filter(dwelling=dwelling, is_active=True).values_list("pk", flat=True))
    assert sorted(first.subjects.filter(kind="person").values_list("object_id", flat=True)) == persons
    assert list(first.subjects.filter(kind="dwelling").values_list("object_id", flat=True)) == [dwelling.pk]
    assert second.action == "housing.certificate_payments"
    assert list(second.subjects.values_list("kind", "object_id")) == [("dwelling", dwelling.pk)]


def test_a_family_composition_shows_the_registers_dates_and_invents_none(sample_streets, make_org, tmp_path):
    """After a register import, a person the file gives no registration date for has none on the
    certificate: a dash, never the day of the import."""
    import datetime as dt

    from django.template.loader import render_to_string

    from merezha.core.certificates import certificate_verify_url, qr_data_uri
    from merezha.registry.models import Dwelling
    from merezha.registry.services import registry_import

    office = make_org("housing_office", code="ZHEK-01")
    path = tmp_path / "register.csv"
    path.write_text(
        "dwelling;street;house;apartment;surname;name;birth_date;relation;registered_from\n"
        "D1;вул. Свободи;5;1;Коваль;Ія;1980-01-02;голова;15.03.2005\n"
        "D1;вул. Свободи;5;1;Коваль;Ян;2010-06-07;син;\n",
        encoding="utf-8",
    )
    registry_import(str(path), office=office, today=dt.date(2026, 11, 20))
    cert = services.family_composition_issue(
        office=office, dwelling_id=Dwelling.objects.get(office_ref="D1").pk, user=None
    )
    assert [(x["name"], x["birth_date"], x["registered_from"]) for x in cert.payload["persons"]] == [
        ("Коваль Ія", "1980-01-02", "2005-03-15"),
        ("Коваль Ян", "2010-06-07", ""),
    ]
    url = certificate_verify_url(certificate=cert)
    html = render_to_string(
        "housing/certificate_family.html",
        {"cert": cert, "p": cert.payload, "verify_url": url, "qr": qr_data_uri(url)},
    )
    assert (
        "<td>1</td><td>Коваль Ія</td><td>02.01.1980</td><td>голова домогосподарства</td><td>15.03.2005</td>"
        in html
    )
    assert "<td>2</td><td>Коваль Ян</td><td>07.06.2010</td><td>син / дочка</td><td>—</td>" in html
    assert "2026-11-20" not in html
