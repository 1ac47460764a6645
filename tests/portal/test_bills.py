"""A printed bill, read back: its PDF rendered to PNG and every QR code decoded."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from merezha.core.money import Money
from merezha.portal import nbu_qr, selectors, services
from tests.portal.conftest import EDRPOU, IBANS, KVART_ORG_IBAN

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is needed")


def decode_pdf(pdf: bytes, tmp_path: Path) -> list[str]:
    from PIL import Image
    from pyzbar.pyzbar import decode

    (tmp_path / "bill.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", str(tmp_path / "bill.pdf"), str(tmp_path / "page")], check=True
    )
    found = []
    for page in sorted(tmp_path.glob("page*.png")):
        found += [s.data.decode("utf-8") for s in decode(Image.open(page))]
    return found


@pytest.mark.parametrize("layout", ["a4x2", "a5"])
def test_bill_qr_codes_carry_each_providers_payment(city, tmp_path, layout, settings):
    dwelling = city.dwellings["0001"]
    pdf = services.bill_pdf(dwelling_ids=[dwelling.pk], layout=layout)
    assert pdf.startswith(b"%PDF")
    texts = decode_pdf(pdf, tmp_path)
    urls = sorted(t for t in texts if t.startswith("https://bank.gov.ua/qr/"))
    assert selectors.dwelling_code(dwelling.pk) in texts  # the dwelling code for the desk's scanner
    assert len(urls) == 3
    fields = {nbu_qr.payment_decode(u)[5]: nbu_qr.payment_decode(u) for u in urls}
    expected = {
        "Водоканал": (
            IBANS[("VODO", "water")],
            "UAH450.00",
            EDRPOU["VODO"],
            "Оплата за водопостачання, о/р W-0001",
        ),
        "Теплокомуненерго": (
            IBANS[("TEPLO", "heat")],
            "UAH1200.50",
            EDRPOU["TEPLO"],
            "Оплата за централізоване опалення, о/р H-0001",
        ),
        "Квартплата ЖЕК": (
            KVART_ORG_IBAN,
            "UAH300.00",
            EDRPOU["KVART"],
            "Оплата за утримання будинку, о/р R-0001",
        ),
    }
    assert sorted(fields) == sorted(expected)
    for name, (iban, amount, code, purpose) in expected.items():
        f = fields[name]
        period = city.accounts[purpose.rsplit(" ", 1)[1]].snapshot.period
        assert f[:5] == ["BCD", "002", "1", "UCT", ""]
        assert f[6:11] == [iban, amount, code, "", ""]
        assert f[11] == f"{purpose}, {period:%m.%Y}"
        assert f[12:] == [""]


def test_bill_figures(city):
    dwelling = city.dwellings["0001"]
    services.access_codes_ensure(dwelling_ids=[dwelling.pk])
    (bill,) = selectors.bills_build(dwelling_ids=[dwelling.pk])
    assert bill.code == f"D{dwelling.pk:06d}"
    assert bill.payer == "Коваленко Іван Петрович"
    assert bill.office_name == "ЖЕК № 1"
    assert len(bill.access_code) == 10
    water = next(line for line in bill.lines if line.service_code == "water")
    assert (
        water.opening,
        water.charged,
        water.recalc,
        water.benefit,
        water.subsidy,
        water.paid,
        water.closing,
    ) == (Money(35000), Money(15000), Money(-1000), Money(2000), Money(0), Money(2000), Money(45000))
    assert water.debt == Money(45000) and water.paid_since == Money(0)
    assert bill.total_debt == Money(45000 + 120050 + 30000)


def test_bill_without_iban_has_no_qr_and_says_why(city):
    from merezha.organisations.models import ProviderService

    ProviderService.objects.filter(provider=city.providers["VODO"]).update(iban="")
    (bill,) = selectors.bills_build(dwelling_ids=[city.dwellings["0007"].pk])
    assert [(line.qr_url, line.qr_problem) for line in bill.lines] == [("", "no IBAN")]


def test_format_003_by_setting(city, settings):
    settings.PORTAL_NBU_QR_FORMAT = "003"
    (bill,) = selectors.bills_build(dwelling_ids=[city.dwellings["0007"].pk])
    assert bill.lines[0].qr_url.startswith("https://qr.bank.gov.ua/")
    assert len(nbu_qr.payment_decode(bill.lines[0].qr_url)) == 17


def test_batch_for_an_office_joins_its_bills_into_one_pdf(city, settings, tmp_path, make_user):
    settings.HOME = tmp_path
    clerk = make_user("housing", organisation=city.office)
    batch = services.bill_batch_start(office=city.office, user=clerk)
    done = services.bill_batch_run(batch_id=batch.pk, chunk=3, workers=2)
    assert (done.status, done.total, done.done) == ("done", 7, 7)
    assert list(done.files) == ["ZHEK-01"] and done.files["ZHEK-01"]["bills"] == 7
    pdf = (tmp_path / done.files["ZHEK-01"]["path"]).read_bytes()
    assert pdf.startswith(b"%PDF")
    out = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    pages = int(re.search(r"^Pages:\s+(\d+)$", out, re.M).group(1))
    assert pages == 4  # 7 bills, two a page: parts of 4 (3 rounded up to even) and 3 bills joined
    one = services.bill_batch_run(
        batch_id=services.bill_batch_start(office=city.office, user=None).pk, workers=1
    )
    assert one.status == "done" and one.done == 7


def test_bill_figures_are_one_line_in_fixed_columns_under_their_headings(city):
    from merezha.portal.bills import bill_context

    dwelling = city.dwellings["0001"]
    (bill,) = selectors.bills_build(dwelling_ids=[dwelling.pk])
    water = next(
        item for item in bill_context(bill, layout="a4x2")["lines"] if item["line"].service_code == "water"
    )
    cells = ["350,00", "150,00", "-10,00", "20,00", "0,00", "20,00", "450,00", "0,00"]
    assert water["figures"] == "".join(c.rjust(14) for c in cells)
    assert water["debt"] == "450,00".rjust(14)
    a5 = bill_context(bill, layout="a5")
    assert a5["total"] == "Усього до сплати" + "1\u202f950,50".rjust(11 * 9 - 16)
    assert a5["break"] == "" and bill_context(bill, layout="a5", index=1)["break"] == "page"
    assert [bill_context(bill, layout="a4x2", index=n)["break"] for n in (1, 2)] == ["next", "page"]


def test_bill_headings_sit_right_aligned_over_the_columns():
    from merezha.portal.bills import _geometry

    g = _geometry("a4x2", {3})
    assert g["labels"].split("\n") == [
        " " * 14 * 7 + "Сплачено".rjust(14) + " " * 14,
        "Борг на".rjust(14) + "Нарахо-".rjust(14) + "Перера-".rjust(14) + " " * 14 * 3
        + "Борг на".rjust(14) + "в мережі".rjust(14) + " " * 14,
        "початок".rjust(14) + "вано".rjust(14) + "хунок".rjust(14) + "Пільга".rjust(14) + "Субсидія".rjust(14)
        + "Сплачено".rjust(14) + "кінець".rjust(14) + "після".rjust(14) + "До сплати".rjust(14),
    ]  # fmt: skip
    # DejaVu Sans Mono advances 0.602 em: 126 characters fill the 192 mm of text at 7.17 pt
    assert g["mono_pt"] == "7.17" and _geometry("a5", set())["mono_pt"] == "6.28"


def test_many_payment_qr_codes_get_smaller_to_fit_the_bill():
    from merezha.portal.bills import _qr_plan

    three = _qr_plan("a4x2", 3)  # 28 mm codes, 30 mm apart
    assert (three["size"], three["places"], three["height"], three["circle"]) == (
        "28",
        [("0", "0"), ("30", "0"), ("60", "0")],
        "34",
        "7",
    )
    nine = _qr_plan("a4x2", 9)  # half an A4 page holds one row: 192 mm / 9
    assert (nine["size"], nine["places"][-1], nine["height"], nine["circle"]) == (
        "19.33",
        ("170.67", "0"),
        "25.33",
        "4.83",
    )
    twelve = _qr_plan("a4x2", 12)  # never under 19 mm: a second row
    assert (twelve["size"], twelve["places"][8:10], twelve["height"]) == (
        "19",
        [("168", "0"), ("0", "25")],
        "50",
    )
    a5 = _qr_plan("a5", 9)  # A5 has room for two rows: five across 132 mm
    assert (a5["size"], a5["places"][4:6], a5["height"]) == ("24.4", [("105.6", "0"), ("0", "30.4")], "60.8")
