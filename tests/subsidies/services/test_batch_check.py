"""The batch check: every applicant's line answered, from CSV, XLSX and address columns."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.utils import translation

from merezha.core.models import AuditEntry
from merezha.formats import FormatError
from merezha.subsidies.documents import batch_check_file
from merezha.subsidies.selectors import NoRuleInForce
from merezha.subsidies.services import (
    batch_check_run,
    family_type_parse,
)
from tests.subsidies.conftest import FOUR, ON, TAX_ID, TAX_ID_2, csv_upload

pytestmark = pytest.mark.django_db


def test_batch_check_answers_every_line(city):
    city.account("TEPLO", "heat", "1580.01", FOUR, number="H-1")
    city.account("VODO", "water", "50.00", {"2026-10": "50"}, dwelling=city.other, number="W-2")
    upload = csv_upload(
        "tax_id;address;family_type\n"
        f"{TAX_ID};;\n"  # 2: by tax id → blocked
        ";вул. Шевченка, 10, кв. 6;\n"  # 3: by address → insufficient history
        f"{TAX_ID};;багатодітна\n"  # 4: large family → clear
        f"{TAX_ID_2};;\n"  # 5: unknown tax id
        "12345;;\n"  # 6: invalid tax id, no address
        ";вул. Шевченка, 99;\n"  # 7: no such house
        f"{TAX_ID};;royal\n"  # 8: bad family type
        ";;\n"  # blank line: skipped
    )
    with translation.override("en"):
        check = batch_check_run(user=city.subsidy, source=upload, file_name="list.csv", application_date=ON)
    assert (check.rows_read, check.matched, check.unmatched, check.blocked) == (7, 3, 4, 1)
    got = [(r["line"], r["match"], r["dwelling_id"], r["verdict"], r["overdue_total"]) for r in check.rows]
    assert got == [
        (2, "matched", city.dwelling.pk, "blocked", "680.01"),
        (3, "matched", city.other.pk, "insufficient_history", "0.00"),
        (4, "matched", city.dwelling.pk, "clear", "680.01"),
        (5, "unmatched", "", "", ""),
        (6, "invalid", "", "", ""),
        (7, "unmatched", "", "", ""),
        (8, "invalid", "", "", ""),
    ]
    assert check.rows[0]["figures"] == "heat/TEPLO: debt 1580.01, overdue 680.01, months >4"
    assert check.rows[0]["reason"] == "Overdue total 680.01 exceeds 680.00: the subsidy is blocked."
    assert check.rows[2]["threshold"] == "4000.00"
    assert [r["reason"] for r in check.rows[3:]] == [
        f"tax id {TAX_ID_2} is not registered in any dwelling and names no account",
        "tax id 12345: a РНОКПП has 10 digits",
        "address 'вул. Шевченка, 99': no house 99 on this street",
        "unknown family type 'royal' (regular, large, foster, family_home)",
    ]
    audit = AuditEntry.objects.get(action="subsidy.batch_check")
    assert audit.detail == {"dwelling_ids": sorted([city.dwelling.pk, city.other.pk]), "rows": 7}

    lines = list(
        csv.reader(io.StringIO(batch_check_file(check=check, file_format="csv").decode()), delimiter=";")
    )
    assert lines[0][:5] == ["line", "tax_id", "address", "family_type", "match"]
    assert lines[1][:10] == [
        "2",
        TAX_ID,
        "",
        "regular",
        "matched",
        str(city.dwelling.pk),
        "вул. Шевченка, 10, кв. 5",
        "blocked",
        "1580.01",
        "680.01",
    ]
    assert len(lines) == 8
    book = openpyxl.load_workbook(io.BytesIO(batch_check_file(check=check, file_format="xlsx")))
    assert book.sheetnames == ["lines", "unmatched"]
    unmatched = list(book["unmatched"].values)
    assert [row[0] for row in unmatched[1:]] == [5, 6, 7, 8]


def test_batch_check_reads_xlsx_and_refuses_a_file_without_columns(city):
    book = openpyxl.Workbook()
    book.active.append(["РНОКПП", "x"])
    book.active.append([TAX_ID, "y"])
    book.active.title = "a"
    raw = io.BytesIO()
    book.save(raw)
    check = batch_check_run(user=city.subsidy, source=io.BytesIO(raw.getvalue()), application_date=ON)
    assert (check.rows_read, check.rows[0]["match"]) == (1, "matched")  # РНОКПП names the tax id column
    book = openpyxl.Workbook()
    book.active.append(["tax_id", "family_type"])
    book.active.append([TAX_ID, "large"])
    raw = io.BytesIO()
    book.save(raw)
    check = batch_check_run(user=city.subsidy, source=io.BytesIO(raw.getvalue()), application_date=ON)
    assert (check.rows[0]["match"], check.rows[0]["family_type"]) == ("matched", "large")
    with pytest.raises(FormatError, match="neither a tax_id nor an address column"):
        batch_check_run(user=city.subsidy, source=csv_upload("name\nx\n"), application_date=ON)
    with pytest.raises(NoRuleInForce):
        batch_check_run(
            user=city.subsidy, source=csv_upload("tax_id\n1\n"), application_date=dt.date(2020, 1, 1)
        )


def test_family_type_words():
    assert [family_type_parse(t) for t in ("", "Large", "прийомна", "family-home", "ДБСТ")] == [
        "regular",
        "large",
        "foster",
        "family_home",
        "family_home",
    ]


def test_batch_check_with_address_columns(city):
    upload = csv_upload(
        "вулиця;будинок;квартира\n"
        "Шевченка;10;6\n"  # 2
        "вул. Шевченка;10;\n"  # 3: no whole-house dwelling
        "Франка;1;1\n"  # 4
    )
    with translation.override("en"):
        check = batch_check_run(user=city.subsidy, source=upload, application_date=ON)
    assert [(r["match"], r["dwelling_id"], r["address"]) for r in check.rows] == [
        ("matched", city.other.pk, "Шевченка, 10, кв. 6"),
        ("unmatched", "", "вул. Шевченка, 10"),
        ("unmatched", "", "Франка, 1, кв. 1"),
    ]
    assert (
        check.rows[1]["reason"]
        == "address 'вул. Шевченка, 10': the register has no whole-house dwelling in house 10"
    )
