"""Subsidy decisions: validated all or nothing, idempotent, routed one document per provider."""

import datetime as dt
import io
import json

import openpyxl
import pytest
from django.utils import translation

from merezha.core.imports import ImportRejected
from merezha.core.models import InboxDocument
from merezha.core.services import IdempotencyConflict, inbox_acknowledge
from merezha.formats import FormatError
from merezha.subsidies.models import DecisionDelivery, SubsidyDecision
from merezha.subsidies.services import (
    batch_check_run,
    decision_submit,
    decisions_import,
)
from tests.subsidies.conftest import ON, TAX_ID, TAX_ID_2, csv_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def four(city):
    """A household with five services at four providers (and an account elsewhere)."""
    city.account("VODO", "water", "10", number="V-1")
    city.account("VODO", "sewer", "10", number="V-1")
    city.account("TEPLO", "heat", "10", number="T-1")
    city.account("ZHEK", "rent", "10", number="Z-1")
    city.account("ECO", "waste", "10", number="E-1")
    city.account("ECO", "waste", "10", number="E-2", dwelling=city.other)
    return city


DECISION = {
    "decision": "S-2026/001",
    "tax_id": TAX_ID,
    "address": "вул. Шевченка, 10, кв. 5",
    "period_from": "2026-11",
    "period_to": "2027-04",
    "lines": [
        {"service": "water", "monthly_amount": "120.50"},
        {"service": "sewer", "monthly_amount": "80.00"},
        {"service": "heat", "monthly_amount": "1500.00"},
        {"service": "rent", "monthly_amount": "210.25"},
        {"service": "waste", "monthly_amount": "35.10"},
    ],
}


def test_decision_routed_as_one_document_per_provider(four):
    decision, created = decision_submit(user=four.subsidy, data=DECISION, source="api", idempotency_key="d1")
    assert created and decision.dwelling_id == four.dwelling.pk
    docs = InboxDocument.objects.filter(kind="subsidy_decision").order_by("recipient_code")
    assert [(d.recipient_code, d.sender_code, d.status) for d in docs] == [
        ("ECO", "USZN", "delivered"),
        ("TEPLO", "USZN", "delivered"),
        ("VODO", "USZN", "delivered"),
        ("ZHEK", "USZN", "delivered"),
    ]
    parts = {d.provider.code: d.payload["lines"] for d in DecisionDelivery.objects.select_related("provider")}
    assert parts == {
        "ECO": [{"service": "waste", "monthly_amount": "35.10", "accounts": ["E-1"]}],
        "TEPLO": [{"service": "heat", "monthly_amount": "1500.00", "accounts": ["T-1"]}],
        "VODO": [
            {"service": "water", "monthly_amount": "120.50", "accounts": ["V-1"]},
            {"service": "sewer", "monthly_amount": "80.00", "accounts": ["V-1"]},
        ],
        "ZHEK": [{"service": "rent", "monthly_amount": "210.25", "accounts": ["Z-1"]}],
    }
    for delivery in DecisionDelivery.objects.select_related("document"):
        assert delivery.document.checksum == delivery.checksum
        assert delivery.payload["period_from"] == "2026-11" and delivery.payload["tax_id"] == TAX_ID
    assert len({d.checksum for d in docs}) == 4
    # the provider acknowledges; the subsidy office sees it
    teplo = DecisionDelivery.objects.get(provider__code="TEPLO").document
    inbox_acknowledge(document=teplo, user=None)
    statuses = {
        d.provider.code: d.document.status for d in decision.deliveries.select_related("provider", "document")
    }
    assert statuses == {"ECO": "delivered", "TEPLO": "acknowledged", "VODO": "delivered", "ZHEK": "delivered"}


def test_decision_idempotency(four):
    first, _ = decision_submit(user=four.subsidy, data=DECISION, source="api", idempotency_key="d1")
    again, created = decision_submit(user=four.subsidy, data=DECISION, source="api", idempotency_key="d1")
    assert (again.pk, created, InboxDocument.objects.count()) == (first.pk, False, 4)
    with pytest.raises(IdempotencyConflict):
        decision_submit(
            user=four.subsidy, data={**DECISION, "decision": "X"}, source="api", idempotency_key="d1"
        )
    with pytest.raises(ImportRejected) as err:
        decision_submit(user=four.subsidy, data=DECISION, source="api", idempotency_key="d2")
    assert [e.as_dict() for e in err.value.report.errors] == [
        {"line": 1, "column": "decision", "reason": "decision S-2026/001 is already recorded"}
    ]


def test_decision_errors_change_nothing(four):
    bad = {
        **DECISION,
        "tax_id": "123",
        "period_to": "2026-10",
        "lines": [
            {"service": "water", "monthly_amount": "12,5"},
            {"service": "gas", "monthly_amount": "1"},
            {"service": "tea", "monthly_amount": "1"},
            {"service": "heat", "monthly_amount": "-1"},
            {"service": "water", "monthly_amount": "2"},
        ],
    }
    with translation.override("en"), pytest.raises(ImportRejected) as err:
        decision_submit(user=four.subsidy, data=bad, source="api", idempotency_key="k")
    assert [str(e) for e in sorted(err.value.report.errors)] == [
        "line 1, column period_to: the period ends before it starts",
        "line 1, column tax_id: tax id 123: a РНОКПП has 10 digits",
        "line 3, column service: unknown service 'tea'",
        "line 4, column monthly_amount: the monthly amount must be positive",
        "line 5, column service: service water appears twice in the decision",
    ]
    routing = {**DECISION, "lines": [{"service": "gas", "monthly_amount": "1"}]}
    with translation.override("en"), pytest.raises(ImportRejected) as err:
        decision_submit(user=four.subsidy, data=routing, source="api", idempotency_key="k")
    assert [str(e) for e in err.value.report.errors] == [
        "line 1, column service: no provider has an active account for gas at this dwelling"
    ]
    assert (SubsidyDecision.objects.count(), InboxDocument.objects.count()) == (0, 0)


def test_decision_dwelling_by_id_must_agree_with_the_address(four):
    data = {**DECISION, "dwelling_id": four.other.pk}
    with translation.override("en"), pytest.raises(ImportRejected) as err:
        decision_submit(user=four.subsidy, data=data, source="page")
    assert [str(e) for e in err.value.report.errors] == [
        f"line 1, column address: the address is not dwelling {four.other.pk}"
    ]
    data = {
        **DECISION,
        "address": "",
        "dwelling_id": four.other.pk,
        "lines": [{"service": "waste", "monthly_amount": "5"}],
    }
    decision, _ = decision_submit(user=four.subsidy, data=data, source="page")
    assert [d.document.recipient_code for d in decision.deliveries.all()] == ["ECO"]
    assert decision.deliveries.get().payload["lines"][0]["accounts"] == ["E-2"]


def test_decisions_file_is_atomic(four, tmp_path):
    head = "decision;tax_id;dwelling_id;address;period_from;period_to;service;monthly_amount\n"
    good = (
        head
        + f"D-1;{TAX_ID};{four.dwelling.pk};;2026-11;2027-04;water;100.00\n"
        + f"D-1;{TAX_ID};{four.dwelling.pk};;2026-11;2027-04;heat;900.00\n"
        + f"D-2;{TAX_ID};{four.other.pk};;2026-11;2027-04;waste;30.00\n"
    )
    bad = (
        good
        + f"D-3;{TAX_ID};{four.dwelling.pk};;2026-13;2027-04;rent;50\n"
        + f"D-1;{TAX_ID};;;2026-11;2027-04;rent;50\n"
    )
    with translation.override("en"), pytest.raises(ImportRejected) as err:
        decisions_import(user=four.subsidy, source=csv_upload(bad), file_name="bad.csv")
    assert [str(e) for e in sorted(err.value.report.errors)] == [
        "line 5, column period_from: not a period: '2026-13' (expected YYYY-MM)",
        "line 6, column dwelling_id: differs from line 2 of the same decision",
    ]
    assert SubsidyDecision.objects.count() == 0
    created, report = decisions_import(user=four.subsidy, source=csv_upload(good), file_name="good.csv")
    assert ([d.number for d in created], report.rows_read, report.changes) == (
        ["D-1", "D-2"],
        3,
        {"decisions": 2},
    )
    assert sorted(InboxDocument.objects.values_list("recipient_code", flat=True)) == ["ECO", "TEPLO", "VODO"]
    missing = "decision;tax_id\nD-9;1\n"
    with translation.override("en"), pytest.raises(ImportRejected) as err:
        decisions_import(user=four.subsidy, source=csv_upload(missing))
    assert [str(e) for e in err.value.report.errors] == [
        "line 1, column monthly_amount: required column is missing",
        "line 1, column service: required column is missing",
    ]


def test_rows_of_one_decision_agree_by_their_parsed_values(four):
    """A period written `2026-11` or `2026-11-01`, a tax id with spaces or without, the dwelling by its id or
    by an address spelt anyhow: the same decision, not rows that disagree."""
    d = four.dwelling.pk
    text = (
        "decision;tax_id;dwelling_id;address;period_from;period_to;service;monthly_amount\n"
        f"D-1;{TAX_ID};{d};;2026-11;2027-04;water;100\n"
        f"D-1;1234 567 899;{d};вул. Шевченка, 10, кв. 5;2026-11-01;2027-04-01;sewer;100.00\n"
        f"D-1;1234-567-899;;Шевченка вулиця, буд. 10, кв 5;2026-11;2027-04;heat;100,00\n"
        f"D-1;{TAX_ID};0{d};;2026-11;2027-04;rent;1 000\n"
    )
    created, report = decisions_import(user=four.subsidy, source=csv_upload(text), file_name="d.csv")
    assert (report.errors, report.rows_read) == ([], 4)
    decision = created[0]
    assert (decision.number, decision.tax_id, decision.dwelling_id) == ("D-1", TAX_ID, d)
    assert (decision.period_from, decision.period_to) == (dt.date(2026, 11, 1), dt.date(2027, 4, 1))
    assert sorted((x.service.code, str(x.monthly_amount)) for x in decision.lines.all()) == [
        ("heat", "100.00"),
        ("rent", "1000.00"),
        ("sewer", "100.00"),
        ("water", "100.00"),
    ]


def test_rows_of_one_decision_that_really_differ_are_rejected(four):
    d, other = four.dwelling.pk, four.other.pk
    text = (
        "decision;tax_id;dwelling_id;address;period_from;period_to;service;monthly_amount\n"
        f"D-1;{TAX_ID};{d};;2026-11;2027-04;water;100\n"
        f"D-1;{TAX_ID_2};{d};;2026-12-01;2027-04;sewer;100\n"
        f"D-1;{TAX_ID};;вул. Шевченка, 10, кв. 6;2026-11;2027-05;heat;100\n"
        f"D-1;{TAX_ID};{other};;2026-11;2027-04;rent;100\n"
        f"D-1;123;{d};;2026-11;2027-04;waste;100\n"
    )
    with translation.override("en"), pytest.raises(ImportRejected) as err:
        decisions_import(user=four.subsidy, source=csv_upload(text), file_name="d.csv")
    assert [str(e) for e in sorted(err.value.report.errors)] == [
        "line 3, column period_from: differs from line 2 of the same decision",
        "line 3, column tax_id: differs from line 2 of the same decision",
        "line 4, column address: differs from line 2 of the same decision",
        "line 4, column period_to: differs from line 2 of the same decision",
        "line 5, column dwelling_id: differs from line 2 of the same decision",
        "line 6, column tax_id: differs from line 2 of the same decision",
    ]
    assert SubsidyDecision.objects.count() == 0


def test_a_decision_tax_id_that_lost_its_leading_zero(four):
    """A РНОКПП kept as a number loses its leading zero (`0779483743` → 779483743, nine digits like an
    ID-card number). It is read as the РНОКПП when the register corroborates it: a person registered in
    the decision's dwelling holds it, or another row of the decision writes it with its zero."""
    from merezha.registry.models import Person

    def submit(number, rows):
        body = {
            "rows": [
                {
                    "decision": number,
                    "tax_id": tax_id,
                    "dwelling_id": dwelling.pk,
                    "period_from": "2026-11",
                    "period_to": "2026-12",
                    "service": service,
                    "monthly_amount": 10,
                }
                for tax_id, dwelling, service in rows
            ]
        }
        created, _ = decisions_import(
            user=four.subsidy, source=io.BytesIO(json.dumps(body).encode()), file_name="d.json"
        )
        return created[0].tax_id

    # nobody in the dwelling holds 0779483743: an ID-card number, as written
    assert submit("Z-1", [(779483743, four.dwelling, "rent")]) == "779483743"
    # another row of the same decision writes it with its zero: the same tax id, the РНОКПП
    assert submit("Z-2", [(779483743, four.dwelling, "rent"), ("0779483743", four.dwelling, "water")]) == (
        "0779483743"
    )
    Person.objects.create(
        dwelling=four.dwelling, surname="Іваненко", name="Олена", tax_id="0779483743", surname_key="іваненко"
    )
    assert submit("Z-3", [(779483743, four.dwelling, "rent")]) == "0779483743"
    # 0779483742 fails the check digit: an ID-card number whoever is registered
    assert submit("Z-4", [(779483742, four.dwelling, "rent")]) == "779483742"
    # a person of another dwelling does not corroborate it
    assert submit("Z-5", [(779483743, four.other, "waste")]) == "779483743"


def test_decisions_json_file(four):
    body = {
        "rows": [
            {
                "decision": "J-1",
                "tax_id": TAX_ID,
                "dwelling_id": four.dwelling.pk,
                "period_from": "2026-11",
                "period_to": "2026-12",
                "service": "rent",
                "monthly_amount": "50.00",
            }
        ]
    }
    created, _ = decisions_import(
        user=four.subsidy, source=io.BytesIO(json.dumps(body).encode()), file_name="d.json"
    )
    assert [(d.number, [str(x.monthly_amount) for x in d.lines.all()]) for d in created] == [
        ("J-1", ["50.00"])
    ]


def test_decision_number_taken_meanwhile_is_an_error_not_a_crash(four, monkeypatch):
    """Another request records the same number between validation and insert: the unique row decides."""
    import merezha.subsidies.services.decisions as services

    validate = services._validate_drafts

    def racing(drafts, *, office, report):
        valid = validate(drafts, office=office, report=report)
        SubsidyDecision.objects.create(
            office=office,
            number=DECISION["decision"],
            tax_id=TAX_ID,
            dwelling=four.dwelling,
            period_from=dt.date(2026, 11, 1),
            period_to=dt.date(2026, 11, 1),
            source="api",
            checksum="x",
        )
        return valid

    monkeypatch.setattr(services, "_validate_drafts", racing)
    with translation.override("en"), pytest.raises(ImportRejected) as err:
        decision_submit(user=four.subsidy, data=DECISION, source="api")
    assert [str(e) for e in err.value.report.errors] == [
        "line 1, column decision: decision S-2026/001 is already recorded"
    ]
    assert InboxDocument.objects.count() == 0


def _decisions_dbf(path, fields, records):
    from merezha.formats.writers import Column, write_dbf

    write_dbf(
        path, [Column(name.lower(), name, kind, width, dec) for name, kind, width, dec in fields], records
    )


def test_decisions_dbf_file_with_truncated_and_legacy_field_names(four, tmp_path):
    """DBF field names have at most 10 characters: `period_from` cannot be one. A dBase tool cuts the
    long names (PERIOD_FRO, DWELLING_I, MONTHLY_AM); legacy software uses IDCODE, ADRES, USLUGA, SUMMA."""
    path = tmp_path / "d.dbf"
    _decisions_dbf(
        path,
        [("DECISION", "C", 12, 0), ("IDCODE", "C", 10, 0), ("DWELLING_I", "N", 8, 0), ("PERIOD_FRO", "C", 7, 0),
         ("PERIOD_TO", "C", 7, 0), ("USLUGA", "C", 10, 0), ("MONTHLY_AM", "N", 12, 2)],
        [["B-1", TAX_ID, four.dwelling.pk, "2026-11", "2027-04", "heat", "1200.50"],
         ["B-1", TAX_ID, four.dwelling.pk, "2026-11", "2027-04", "water", "80.00"]],
    )  # fmt: skip
    created, report = decisions_import(user=four.subsidy, source=str(path), file_name="d.dbf")
    assert (report.file_format, [(d.number, sorted((x.service.code, str(x.monthly_amount)) for x in d.lines.all())) for d in created]) == (
        "dbf",
        [("B-1", [("heat", "1200.50"), ("water", "80.00")])],
    )  # fmt: skip
    path = tmp_path / "legacy.dbf"
    _decisions_dbf(
        path,
        [("DECISION", "C", 12, 0), ("IDCODE", "C", 10, 0), ("ADRES", "C", 40, 0), ("PER_FROM", "C", 7, 0),
         ("PER_TO", "C", 7, 0), ("USLUGA", "C", 10, 0), ("SUMMA", "N", 12, 2)],
        [["B-2", TAX_ID, "вул. Шевченка, 10, кв. 5", "2026-11", "2027-04", "rent", "50.00"]],
    )  # fmt: skip
    created, _ = decisions_import(user=four.subsidy, source=str(path), file_name="legacy.dbf")
    assert [(d.number, d.dwelling_id, d.period_from.isoformat()) for d in created] == [
        ("B-2", four.dwelling.pk, "2026-11-01")
    ]


def test_decisions_xlsx_with_excel_dates_for_periods_and_float_amounts(four, tmp_path):
    """Excel turns a typed `2026-11` into the date 1 November 2026 and keeps amounts as floats."""
    book = openpyxl.Workbook()
    book.active.append(
        ["Decision", "TAX_ID", "dwelling_id", "period_from", "period_to", "service", "monthly_amount"]
    )
    book.active.append(
        [
            "X-1",
            int(TAX_ID),
            four.dwelling.pk,
            dt.datetime(2026, 11, 1),
            dt.datetime(2027, 4, 1),
            "heat",
            0.1 + 1199.3,
        ]
    )
    book.active.append(["X-2", TAX_ID, four.dwelling.pk, "2026-11", dt.datetime(2027, 4, 15), "rent", 50.125])
    path = tmp_path / "d.xlsx"
    book.save(path)
    with translation.override("en"), pytest.raises(ImportRejected) as err:
        decisions_import(user=four.subsidy, source=str(path), file_name="d.xlsx")
    assert [str(e) for e in sorted(err.value.report.errors)] == [
        "line 3, column monthly_amount: more than two decimal places: '50.125' (the hub does not round amounts)",
        "line 3, column period_to: not a period: '2027-04-15' (expected YYYY-MM)",
    ]
    book.active.delete_rows(3)
    book.save(path)
    created, _ = decisions_import(user=four.subsidy, source=str(path), file_name="d.xlsx")
    assert [
        (d.period_from.isoformat(), d.period_to.isoformat(), str(d.lines.get().monthly_amount))
        for d in created
    ] == [("2026-11-01", "2027-04-01", "1199.40")]


def test_a_batch_check_and_a_decisions_file_have_their_own_row_limits(city, settings):
    """Both hold every row in memory: UPLOAD_MAX_ROWS bounds them below the other files' limit."""
    settings.UPLOAD_MAX_ROWS = {"batch_check": 3, "decisions": 2}
    with pytest.raises(FormatError) as caught:
        batch_check_run(
            user=city.subsidy, source=csv_upload("tax_id\n" + f"{TAX_ID}\n" * 4), application_date=ON
        )
    assert str(caught.value) == "line 5: the file has more than 3 rows"
    check = batch_check_run(
        user=city.subsidy, source=csv_upload("tax_id\n" + f"{TAX_ID}\n" * 3), application_date=ON
    )
    assert check.rows_read == 3
    rows = (
        "decision;tax_id;period_from;period_to;service;monthly_amount\n"
        + "D1;1;2026-10;2026-12;water;1\n" * 3
    )
    with pytest.raises(ImportRejected) as rejected:
        decisions_import(user=city.subsidy, source=io.BytesIO(rows.encode()), file_name="d.csv")
    assert [e.reason for e in rejected.value.report.errors] == ["the file has more than 2 rows"]
