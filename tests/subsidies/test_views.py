"""Pages: who may open them, the household page, certificates, batch upload, decisions, the rule page."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from merezha.core.models import AuditEntry, Certificate, InboxDocument
from merezha.core.money import Money
from merezha.core.services import audit_tax_id_hash, inbox_acknowledge
from merezha.subsidies.models import BatchCheck, Exemption, SubsidyDecision, SubsidyRuleParameters

from .conftest import TAX_ID

pytestmark = pytest.mark.django_db
FOUR = {"2026-10": "300", "2026-09": "300", "2026-08": "300", "2026-07": "680"}


@pytest.fixture
def officer(client, city):
    client.force_login(city.subsidy)
    return client


PAGES = [
    "/subsidies/",
    "/subsidies/batch-checks/",
    "/subsidies/decisions/",
    "/subsidies/decisions/new/",
]


@pytest.mark.parametrize("role", ["provider", "housing", "cashier", "manager"])
def test_other_roles_get_403(client, city, make_user, role):
    client.force_login(make_user(role))
    for url in [*PAGES, f"/subsidies/households/{city.dwelling.pk}/", "/subsidies/rule/"]:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/subsidies/households/{city.dwelling.pk}/certificate/").status_code == 403


def test_anonymous_is_sent_to_login(client, city):
    assert client.get("/subsidies/").status_code == 302


def test_search_by_tax_id_opens_the_household_and_is_audited(officer, city):
    city.account("TEPLO", "heat", "1580.01", FOUR, number="H-1")
    response = officer.get("/subsidies/", {"tax_id": TAX_ID, "date": "2026-11-15", "family_type": "regular"})
    assert response.status_code == 302
    assert response["Location"] == (
        f"/subsidies/households/{city.dwelling.pk}/?date=2026-11-15&family_type=regular"
    )
    page = officer.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200
    assert "вул. Шевченка, 10, кв. 5" in text
    assert '<td class="num">1\u202f580,01</td><td class="num">900,00</td>' in text  # debt, charged
    assert '<td class="num">680,01</td>' in text  # overdue
    assert 'id="overdue-total">680,01<' in text and 'id="threshold">680,00<' in text
    # the service by name, the code as tooltip; the provider under it
    assert (
        '<td><span title="heat">Опалення</span><br><span class="muted small" title="TEPLO">TEPLO</span></td>'
        in text
    )
    assert "31.10.2026" in text and "2026-10-31" not in text  # the provider's data as of, as people read it
    assert "verdict-blocked" in text
    entry = AuditEntry.objects.get(action="subsidy.debt_status")
    assert (entry.user, entry.object_id) == (city.subsidy, str(city.dwelling.pk))
    search = AuditEntry.objects.get(action="subsidy.search")
    # the tax id is kept masked as a cashier sees it, and hashed so the centre can find it again
    assert (search.user, search.query, search.tax_id_hash, search.channel) == (
        city.subsidy,
        "******" + TAX_ID[-4:],
        audit_tax_id_hash(TAX_ID),
        "web",
    )
    assert list(search.subjects.values_list("kind", "object_id")) == [("dwelling", city.dwelling.pk)]


def test_search_with_no_match_says_why(officer, city):
    text = officer.get("/subsidies/", {"address": "вул. Шевченка, 99"}).content.decode()
    assert "no house 99 on this street" in text
    entry = AuditEntry.objects.get()  # a look-up that found nobody is recorded too
    assert (entry.action, entry.object_id, entry.query, entry.tax_id_hash, entry.subjects.count()) == (
        "subsidy.search",
        "",
        "вул. Шевченка, 99",
        "",
        0,
    )


def test_issue_certificate_gives_a_pdf(officer, city, client, make_user):
    city.account("TEPLO", "heat", "100.00", FOUR)
    response = officer.post(
        f"/subsidies/households/{city.dwelling.pk}/certificate/",
        {"date": "2026-11-15", "family_type": "large"},
    )
    cert = Certificate.objects.get()
    assert response["Location"] == f"/subsidies/certificates/{cert.number}/pdf/"
    pdf = officer.get(response["Location"])
    assert (pdf.status_code, pdf["Content-Type"], pdf.content[:4]) == (200, "application/pdf", b"%PDF")
    assert cert.payload["family_type"] == "large" and cert.payload["application_date"] == "2026-11-15"
    # another subsidy office cannot fetch it; the information centre can
    client.force_login(make_user("subsidy"))
    assert client.get(response["Location"]).status_code == 404
    admin = make_user("admin")
    client.force_login(admin)
    assert client.get(response["Location"]).status_code == 200
    # issuing and each opening are logged; the refused look-up read nothing
    views = AuditEntry.objects.filter(action="subsidy.certificate_view").order_by("id")
    assert [(e.user, e.object_id) for e in views] == [(city.subsidy, cert.number), (admin, cert.number)]
    assert list(views[0].subjects.values_list("kind", "object_id")) == [("dwelling", city.dwelling.pk)]
    issued = AuditEntry.objects.get(action="subsidy.certificate_issue")
    assert list(issued.subjects.values_list("object_id", flat=True)) == [city.dwelling.pk]
    # the public verify page confirms it
    client.logout()
    assert client.get(f"/verify/{cert.number}/?c={cert.code}").status_code == 200


def test_admin_reads_but_does_not_write(client, city, make_user):
    client.force_login(make_user("admin"))
    assert client.get("/subsidies/").status_code == 403  # the subsidy office's home page
    assert client.get(f"/subsidies/households/{city.dwelling.pk}/").status_code == 200
    assert client.get("/subsidies/decisions/").status_code == 200
    assert client.get("/subsidies/batch-checks/").status_code == 200
    assert client.post(f"/subsidies/households/{city.dwelling.pk}/certificate/").status_code == 403
    assert client.get("/subsidies/decisions/new/").status_code == 403


def test_record_exemption(officer, city):
    heat = city.account("TEPLO", "heat", "1580.01", FOUR)
    response = officer.post(
        f"/subsidies/households/{city.dwelling.pk}/exemptions/",
        {"account": heat.pk, "kind": "court", "valid_from": "2026-11-01", "note": "case 5"},
    )
    assert response.status_code == 302
    assert Exemption.objects.get().kind == "court"
    text = officer.get(f"/subsidies/households/{city.dwelling.pk}/?date=2026-11-15").content.decode()
    assert "verdict-clear" in text
    # an account of another dwelling is not a choice here
    other = city.account("ECO", "waste", "1", dwelling=city.other)
    officer.post(
        f"/subsidies/households/{city.dwelling.pk}/exemptions/",
        {"account": other.pk, "kind": "court", "valid_from": "2026-11-01"},
    )
    assert Exemption.objects.count() == 1


def test_batch_upload_and_download(officer, city, client, make_user, ukrainian):
    city.account("TEPLO", "heat", "1580.01", FOUR)
    upload = SimpleUploadedFile("list.csv", f"tax_id\n{TAX_ID}\n1111111118\n".encode())
    response = officer.post("/subsidies/batch-checks/", {"file": upload, "date": "2026-11-15"})
    check = BatchCheck.objects.get()
    assert response["Location"] == f"/subsidies/batch-checks/{check.pk}/"
    assert (check.rows_read, check.matched, check.blocked) == (2, 1, 1)
    page = officer.get(response["Location"]).content.decode()
    assert "1111111118" in page
    assert "2 рядки, 1 зіставлено" in page  # the plural of the count, not "2 рядків"
    csv_file = officer.get(f"/subsidies/batch-checks/{check.pk}/result.csv")
    assert csv_file.content.decode().splitlines()[1].startswith(f"2;{TAX_ID};;regular;matched;")
    xlsx = officer.get(f"/subsidies/batch-checks/{check.pk}/result.xlsx")
    assert xlsx.content[:2] == b"PK"
    assert officer.get(f"/subsidies/batch-checks/{check.pk}/result.dbf").status_code == 404
    client.force_login(make_user("subsidy"))
    assert client.get(f"/subsidies/batch-checks/{check.pk}/").status_code == 404
    assert client.get(f"/subsidies/batch-checks/{check.pk}/result.csv").status_code == 404


def test_batch_upload_of_a_bad_file_says_why(officer, city):
    upload = SimpleUploadedFile("list.csv", b"name\nx\n")
    response = officer.post("/subsidies/batch-checks/", {"file": upload}, follow=True)
    assert (
        "list.csv: line 1: the file has neither a tax_id nor an address column" in response.content.decode()
    )
    assert not BatchCheck.objects.exists()


@pytest.fixture
def four(city):
    for provider, service in (("VODO", "water"), ("TEPLO", "heat"), ("ZHEK", "rent"), ("ECO", "waste")):
        city.account(provider, service, "0", number=f"{provider}-1")
    return city


def test_enter_a_decision_on_the_page_and_see_acknowledgement(officer, four):
    form = {
        "decision": "P-1",
        "tax_id": TAX_ID,
        "address": "Шевченка 10 кв 5",
        "period_from": "2026-11",
        "period_to": "2027-04",
        "amount_water": "100,50",
        "amount_heat": "900",
        "amount_rent": "200",
        "amount_waste": "30",
    }
    response = officer.post("/subsidies/decisions/new/", form)
    decision = SubsidyDecision.objects.get()
    assert response["Location"] == f"/subsidies/decisions/{decision.pk}/"
    assert InboxDocument.objects.filter(kind="subsidy_decision").count() == 4
    doc = InboxDocument.objects.get(recipient_code="ZHEK")
    inbox_acknowledge(document=doc, user=None)
    text = officer.get(response["Location"]).content.decode()
    assert text.count("<td>Acknowledged</td>") == 1
    assert '<td title="rent">Квартплата</td><td class="num">200,00</td>' in text
    assert '<td title="water">Водопостачання</td><td class="num">100,50</td>' in text
    assert '<span title="rent">Квартплата</span> 200,00' in text  # ZHEK's part
    listing = officer.get("/subsidies/decisions/").content.decode()
    assert (
        "P-1" in listing and '<span title="ZHEK">ZHEK</span>: <span class="ok">Acknowledged</span>' in listing
    )


def test_decision_page_errors_change_nothing(officer, four):
    form = {
        "decision": "P-2",
        "tax_id": TAX_ID,
        "period_from": "2026-11",
        "period_to": "2027-04",
        "amount_gas": "5",
    }
    text = officer.post("/subsidies/decisions/new/", form).content.decode()
    assert "give the dwelling id or the address" in text
    assert not SubsidyDecision.objects.exists()


def test_decision_upload(officer, four):
    good = (
        "decision;tax_id;dwelling_id;address;period_from;period_to;service;monthly_amount\n"
        f"F-1;{TAX_ID};{four.dwelling.pk};;2026-11;2027-04;water;10\n"
    )
    response = officer.post(
        "/subsidies/decisions/upload/", {"file": SimpleUploadedFile("d.csv", good.encode())}
    )
    assert response.status_code == 302 and SubsidyDecision.objects.get().number == "F-1"
    bad = good.replace("F-1", "F-2").replace(";10\n", ";x\n")
    response = officer.post(
        "/subsidies/decisions/upload/", {"file": SimpleUploadedFile("d.csv", bad.encode())}
    )
    assert response.status_code == 400 and "not an amount" in response.content.decode()
    assert SubsidyDecision.objects.count() == 1


def test_other_office_cannot_see_a_decision(client, officer, four, make_user):
    officer.post(
        "/subsidies/decisions/new/",
        {
            "decision": "P-3",
            "tax_id": TAX_ID,
            "dwelling_id": four.dwelling.pk,
            "period_from": "2026-11",
            "period_to": "2026-12",
            "amount_rent": "1",
        },
    )
    decision = SubsidyDecision.objects.get()
    client.force_login(make_user("subsidy"))
    assert client.get(f"/subsidies/decisions/{decision.pk}/").status_code == 404
    assert (
        f'href="/subsidies/decisions/{decision.pk}/"'
        not in client.get("/subsidies/decisions/").content.decode()
    )


def test_rule_page_for_the_information_centre(client, city, make_user):
    client.force_login(city.subsidy)
    assert client.get("/subsidies/rule/").status_code == 403
    client.force_login(make_user("admin"))
    rule = client.get("/subsidies/rule/").content.decode()
    assert '<td class="num">680,00</td><td class="num">4\u202f000,00</td>' in rule
    assert 'value="680,00"' in rule  # an amount field as people type it (a comma or a dot is read)
    response = client.post(
        "/subsidies/rule/",
        {
            "valid_from": "2027-01-01",
            "months": "4",
            "threshold": "1 000,00",
            "threshold_large_family": "5000",
            "exemptions_enabled": "on",
            "note": "new",
        },
    )
    assert response.status_code == 302
    row = SubsidyRuleParameters.objects.get(valid_from=dt.date(2027, 1, 1))
    assert (row.months, row.threshold, row.threshold_large_family, row.exemptions_enabled) == (
        4,
        Money.parse("1000.00"),
        Money.parse("5000.00"),
        True,
    )
    again = client.post(
        "/subsidies/rule/",
        {"valid_from": "2027-01-01", "months": "4", "threshold": "1", "threshold_large_family": "1"},
    )
    assert "a parameter set from 2027-01-01 already exists" in again.content.decode()
    bad = client.post(
        "/subsidies/rule/",
        {"valid_from": "2028-01-01", "months": "4", "threshold": "abc", "threshold_large_family": "1"},
    )
    assert "not an amount" in bad.content.decode()


def test_xlsx_batch_file_round_trip(officer, city):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["address", "family_type"])
    book.active.append(["вул. Шевченка, 10, кв. 5", "large"])
    raw = io.BytesIO()
    book.save(raw)
    officer.post("/subsidies/batch-checks/", {"file": SimpleUploadedFile("a.xlsx", raw.getvalue())})
    check = BatchCheck.objects.get()
    assert (check.rows[0]["dwelling_id"], check.rows[0]["verdict"]) == (city.dwelling.pk, "clear")


GARBAGE = [
    b"PK\x03\x04 not a workbook",
    b"\xff\xfe\x00\x01\x02",
    b'{"rows": 5}',
    b"[1, 2",
    b"tax_id\n" + b"\x00" * 40,
    b"   ",
]


@pytest.mark.parametrize("raw", GARBAGE)
def test_garbage_files_never_give_500(officer, four, raw):
    r = officer.post("/subsidies/batch-checks/", {"file": SimpleUploadedFile("x.csv", raw)})
    assert r.status_code in (200, 302)
    r = officer.post("/subsidies/decisions/upload/", {"file": SimpleUploadedFile("x.csv", raw)})
    assert r.status_code == 400
    assert not SubsidyDecision.objects.exists()


def test_provider_sees_only_its_part(client, officer, four, make_user):
    officer.post(
        "/subsidies/decisions/new/",
        {
            "decision": "P-4",
            "tax_id": TAX_ID,
            "dwelling_id": four.dwelling.pk,
            "period_from": "2026-11",
            "period_to": "2026-12",
            "amount_rent": "12.34",
            "amount_heat": "56.78",
        },
    )
    decision = SubsidyDecision.objects.get()
    client.force_login(make_user("provider", organisation=four.providers["ZHEK"]))
    text = client.get(f"/subsidies/decisions/{decision.pk}/part/").content.decode()
    assert '<td title="rent">Квартплата</td><td>ZHEK-1</td><td class="num">12,34</td>' in text
    assert "56,78" not in text and "56.78" not in text
    assert f'<span title="USZN">{four.subsidy.organisation.name}</span>' in text
    client.force_login(make_user("provider", organisation=four.providers["VODO"]))  # nothing for it
    assert client.get(f"/subsidies/decisions/{decision.pk}/part/").status_code == 404
    client.force_login(four.subsidy)
    assert client.get(f"/subsidies/decisions/{decision.pk}/part/").status_code == 403


# --- pages read as people read them: services by name, amounts as 1 234,56, in both languages ---

NNBSP = "\u202f"
#: (language fixture, verdict, exemption kind, "account" in the explanation) per interface language
LANGUAGES = {
    "en": ("debt blocks the subsidy", "contested in court", "account"),
    "uk": ("заборгованість блокує субсидію", "оскаржується в суді", "особовий рахунок"),
}


@pytest.fixture(params=sorted(LANGUAGES))
def language(request):
    if request.param == "uk":
        request.getfixturevalue("ukrainian")
    return request.param


def test_household_page_reads_as_people_read_it(officer, city, language):
    blocked, court, account = LANGUAGES[language]
    city.account("TEPLO", "heat", "1580.01", FOUR, number="H-1")
    gas = city.account("TEPLO", "hot_water", "12345.00", FOUR, number="G-1")
    officer.post(
        f"/subsidies/households/{city.dwelling.pk}/exemptions/",
        {"account": gas.pk, "kind": "court", "valid_from": "2026-09-01", "note": "case 7"},
    )
    text = officer.get(f"/subsidies/households/{city.dwelling.pk}/?date=2026-11-15").content.decode()
    # services by name, the code as tooltip; amounts as 1 234,56 right-aligned
    assert (
        '<td><span title="heat">Опалення</span><br><span class="muted small" title="TEPLO">TEPLO</span></td>'
        '<td>H-1</td><td class="date">31.10.2026</td>\n'
        f'        <td class="num">1{NNBSP}580,01</td><td class="num">900,00</td>\n'
        '        <td class="num">680,01</td>'
    ) in text
    assert '<span title="hot_water">Гаряча вода</span><br>' in text
    assert f'<td class="num">12{NNBSP}345,00</td>' in text
    assert f'id="debt-total">13{NNBSP}925,01<' in text and 'id="overdue-total">680,01<' in text
    assert 'id="threshold">680,00<' in text
    assert f'<span class="verdict-blocked" id="verdict">{blocked}</span>' in text
    assert f"<td>{court} " in text  # the exemption by its name, not `court`
    # the explanation for people: names and the same amounts
    assert f"<li>Опалення, TEPLO, {account} H-1:" in text and f"1{NNBSP}580,01" in text
    # nowhere a machine amount or a bare service code
    for machine in ("1580.01", "680.01", "680.00", "13925.01", ">heat<", ">hot_water<", "heat, TEPLO"):
        assert machine not in text, machine
    # the restructuring/court list and the form's choice of accounts read by name too
    assert '<span title="hot_water">Гаряча вода</span> · G-1' in text
    assert ">TEPLO · Гаряча вода · G-1</option>" in text


def test_decision_pages_read_as_people_read_them(client, officer, four, make_user, language):
    form = {
        "decision": "P-9",
        "tax_id": TAX_ID,
        "dwelling_id": four.dwelling.pk,
        "period_from": "2026-11",
        "period_to": "2027-04",
        "amount_heat": "1234,5",
        "amount_rent": "200.00",
    }
    new = officer.get("/subsidies/decisions/new/").content.decode()
    assert 'Опалення<input type="text" name="amount_heat"' in new
    officer.post("/subsidies/decisions/new/", form)
    decision = SubsidyDecision.objects.get()
    text = officer.get(f"/subsidies/decisions/{decision.pk}/").content.decode()
    assert f'<td title="heat">Опалення</td><td class="num">1{NNBSP}234,50</td>' in text
    assert '<td title="rent">Квартплата</td><td class="num">200,00</td>' in text
    assert f'<span title="heat">Опалення</span> 1{NNBSP}234,50' in text  # TEPLO's part
    assert "1234.50" not in text and ">heat<" not in text
    client.force_login(make_user("provider", organisation=four.providers["TEPLO"]))
    part = client.get(f"/subsidies/decisions/{decision.pk}/part/").content.decode()
    assert f'<td title="heat">Опалення</td><td>TEPLO-1</td><td class="num">1{NNBSP}234,50</td>' in part
    assert "1234.50" not in part


def test_certificate_prints_names_and_amounts_as_people_read_them(officer, city, language):
    from django.template.loader import render_to_string

    from merezha.subsidies.documents import CERTIFICATE_TEMPLATE, debt_certificate_context

    blocked, _court, account = LANGUAGES[language]
    city.account("TEPLO", "heat", "1580.01", FOUR, number="H-1")
    officer.post(
        f"/subsidies/households/{city.dwelling.pk}/certificate/",
        {"date": "2026-11-15", "family_type": "large"},
    )
    cert = Certificate.objects.get()
    assert cert.payload["accounts"][0]["debt"] == "1580.01"  # the payload keeps the machine form
    html = render_to_string(CERTIFICATE_TEMPLATE, debt_certificate_context(certificate=cert))
    assert (
        '<td>Опалення<br><span class="sub">TEPLO</span></td><td>H-1</td><td class="date">31.10.2026</td>\n'
        f'      <td class="num">1{NNBSP}580,01</td>'
    ) in html
    assert f'<td class="num">1{NNBSP}580,01</td><td class="num">680,01</td><td></td></tr></tfoot>' in html
    assert f"4{NNBSP}000,00" in html  # the large family's threshold
    assert "1580.01" not in html and "4000.00" not in html and ">heat<" not in html
    assert f"Опалення, TEPLO, {account} H-1:" in html
    family = {"en": "large family", "uk": "багатодітна сім'я"}[language]
    assert family in html.replace("&#x27;", "'")


def test_batch_check_page_reads_as_people_read_it(officer, city, language):
    city.account("TEPLO", "heat", "1580.01", FOUR, number="H-1")
    city.account("VODO", "water", "0", number="W-1")
    upload = SimpleUploadedFile("list.csv", f"tax_id\n{TAX_ID}\n1111111118\n".encode())
    officer.post("/subsidies/batch-checks/", {"file": upload, "date": "2026-11-15"})
    check = BatchCheck.objects.get()
    text = officer.get(f"/subsidies/batch-checks/{check.pk}/").content.decode()
    blocked = LANGUAGES[language][0]
    not_matched = {"en": "not matched", "uk": "не зіставлено"}[language]
    assert f'<td class="verdict-blocked">{blocked}</td>' in text
    assert f'<td class="num">1{NNBSP}580,01</td><td class="num">680,01</td>' in text
    assert f'<span title="heat/TEPLO · TEPLO">Опалення</span>: 1{NNBSP}580,01</span> · ' in text
    assert "Водопостачання" not in text  # an account without debt is left to the answer files
    assert f'<td class="verdict-">{not_matched}</td>' in text
    assert "1580.01" not in text
    # the answer file keeps the exchange form
    csv_file = officer.get(f"/subsidies/batch-checks/{check.pk}/result.csv").content.decode()
    assert ";1580.01;680.01;680.00;" in csv_file and "heat/TEPLO: debt 1580.01" in csv_file


def test_batch_check_page_shows_figures_it_cannot_read_as_they_are(officer, city):
    upload = SimpleUploadedFile("list.csv", f"tax_id\n{TAX_ID}\n".encode())
    officer.post("/subsidies/batch-checks/", {"file": upload, "date": "2026-11-15"})
    check = BatchCheck.objects.get()
    check.rows[0]["figures"] = "something else"
    check.save()
    text = officer.get(f"/subsidies/batch-checks/{check.pk}/").content.decode()
    assert '<td class="muted figures">something else</td>' in text


def test_refusals_in_ukrainian_under_the_fields_labels(officer, city, ukrainian):
    """No rule in force: the catalogue's Ukrainian; a refused exemption names the field as the form does."""
    SubsidyRuleParameters.objects.all().delete()
    page = officer.get(f"/subsidies/households/{city.dwelling.pk}/?date=2026-11-15", follow=True)
    assert "на 15.11.2026 не діють жодні параметри правила субсидій" in page.content.decode()
    heat = city.account("TEPLO", "heat", "1580.01", FOUR)
    page = officer.post(
        f"/subsidies/households/{city.dwelling.pk}/exemptions/",
        {"account": heat.pk, "kind": "court", "valid_from": "not a date"},
        follow=True,
    ).content.decode()
    assert "З: Введіть коректну дату." in page and "valid_from:" not in page
    assert Exemption.objects.count() == 0
