"""Street directory and housing office register imports (exchange-v1 §0, §1)."""

import datetime as dt

import pytest

from merezha.core.imports import ImportRejected
from merezha.core.roles import OrgKind
from merezha.formats.writers import Column, write_dbf
from merezha.registry.models import (
    Building,
    Dwelling,
    Person,
    RegisterChange,
    RegistryImport,
    Street,
    StreetName,
)
from merezha.registry.services import registry_import, streets_import

pytestmark = pytest.mark.django_db

HEADER = "dwelling;street;house;apartment;area;surname;name;patronymic;birth_date;tax_id;relation;benefit\n"


def snapshot_of_register():
    return (
        Dwelling.objects.count(),
        Person.objects.filter(is_active=True).count(),
        Person.objects.count(),
        RegisterChange.objects.count(),
        Building.objects.count(),
    )


@pytest.fixture
def office(make_org):
    return make_org(OrgKind.HOUSING_OFFICE, code="ZHEK-01")


@pytest.fixture
def office2(make_org):
    return make_org(OrgKind.HOUSING_OFFICE, code="ZHEK-02")


def test_streets_with_former_names(sample_streets, samples):
    assert sample_streets.rows_read == 10
    assert Street.objects.count() == 10
    svobody = Street.objects.get(name="Свободи")
    assert [n.name for n in svobody.former_names.all()] == ["Комсомольська"]
    again = streets_import(str(samples / "streets.csv"))
    assert again.changes == {"created": 0, "renamed": 0, "updated": 0}
    assert StreetName.objects.count() == 2


def test_streets_unknown_type_refused(tmp_path, db):
    p = tmp_path / "s.csv"
    p.write_text("type;name;former_names\nвул.;Нова;\nалея;Стара;\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as exc:
        streets_import(str(p))
    assert [(e.line, e.column) for e in exc.value.report.errors] == [(3, "type")]
    assert Street.objects.count() == 0


@pytest.mark.parametrize(
    ("code", "files", "dwellings", "persons"),
    [
        ("ZHEK-01", ["registry-ZHEK-01.csv", "registry-ZHEK-01.xlsx"], 73, 126),
        ("ZHEK-02", ["registry-ZHEK-02.dbf", "registry-ZHEK-02.json"], 51, 91),
    ],
)
def test_sample_registers_in_every_format(
    sample_streets, samples, office, office2, code, files, dwellings, persons
):
    target = office if code == "ZHEK-01" else office2
    first = registry_import(str(samples / files[0]), office=target)
    assert first.rows_read == first.rows_applied == (136 if code == "ZHEK-01" else 98)
    assert Dwelling.objects.filter(office=target).count() == dwellings
    assert Person.objects.filter(dwelling__office=target, is_active=True).count() == persons
    before = snapshot_of_register()
    # the same register in the other format, and the first file again, change nothing
    for name in (files[1], files[0]):
        again = registry_import(str(samples / name), office=target)
        assert again.changes == {}
        assert snapshot_of_register()[:3] == before[:3]
        assert RegisterChange.objects.count() == before[3]


def test_bad_register_refused_whole(sample_streets, samples, office):
    registry_import(str(samples / "registry-ZHEK-01.csv"), office=office)
    before = snapshot_of_register()
    with pytest.raises(ImportRejected) as exc:
        registry_import(str(samples / "registry-bad.csv"), office=office)
    errors = [(e.line, e.column) for e in exc.value.report.errors]
    assert errors == [(2, "tax_id"), (3, "street")]
    assert "wrong check digit" in exc.value.report.errors[0].reason
    assert snapshot_of_register() == before


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_text(HEADER + text, encoding=encoding)
    return str(p)


def test_person_leaving_and_arriving_is_history(sample_streets, tmp_path, office):
    registry_import(
        write(
            tmp_path,
            "a.csv",
            "D1;вул. Свободи;5;3;50,5;Іваненко;Петро;Іванович;01.02.1970;3460442939;голова;\n"
            "D1;вул. Свободи;5;3;50,5;Іваненко;Марія;Петрівна;1972-03-04;;дружина;ubd\n",
        ),
        office=office,
        today=dt.date(2026, 10, 1),
    )
    assert Person.objects.filter(is_active=True).count() == 2
    report = registry_import(
        write(
            tmp_path,
            "b.csv",
            "D1;Комсомольська вул.;5;3;52;Іваненко;Петро;Іванович;01.02.1970;3460442939;head;\n"
            "D1;Комсомольська вул.;5;3;52;Іваненко;Олег;Петрович;2026-09-20;;син;\n",
        ),
        office=office,
        today=dt.date(2026, 11, 1),
    )
    assert report.changes == {"born": 1, "dwelling_changed": 1, "left": 1}
    maria = Person.objects.get(name="Марія")
    assert (maria.is_active, maria.registered_until) == (False, dt.date(2026, 11, 1))
    area = RegisterChange.objects.get(kind="dwelling_changed")
    assert (area.field, area.old_value, area.new_value, area.source.startswith("import:")) == (
        "area",
        "50.50",
        "52.00",
        True,
    )


def test_dwelling_missing_from_next_file_leaves(sample_streets, tmp_path, office):
    registry_import(
        write(tmp_path, "a.csv", "D1;вул. Свободи;5;3;;Коваль;Ія;;;;;\nD2;вул. Свободи;5;4;;;;;;;;\n"),
        office=office,
    )
    report = registry_import(write(tmp_path, "b.csv", "D2;вул. Свободи;5;4;;;;;;;;\n"), office=office)
    assert report.changes == {"dwelling_removed": 1, "left": 1}
    assert list(Dwelling.objects.filter(is_active=True).values_list("office_ref", flat=True)) == ["D2"]


@pytest.mark.parametrize(
    ("content", "line", "column", "reason"),
    [
        ("D1;вул. Неіснуюча;5;;;;;;;;;\n", 2, "street", "unknown street"),
        ("D1;вул. Свободи;;;;;;;;;;\n", 2, "house", "required value is empty"),
        ("D1;вул. Свободи;5;;;Коваль;;;32.13.1990;;;\n", 2, "birth_date", "not a date"),
        (
            "D1;вул. Свободи;5;;;Коваль;;;1990-01-13 anything;;;\n",
            2,
            "birth_date",
            "not a date: '1990-01-13 anything' (expected YYYY-MM-DD or DD.MM.YYYY)",
        ),
        ("D1;вул. Свободи;5;;;Коваль;;;;;кум;\n", 2, "relation", "unknown relation"),
        ("D1;вул. Свободи;5;;-3;;;;;;;\n", 2, "area", "not an area"),
        ("D1;вул. Свободи;5;1;;;;;;;;\nD1;вул. Свободи;6;1;;;;;;;;\n", 3, "street", "another address"),
        ("D1;вул. Свободи;5;;;;;;;;;\n", None, None, None),
    ],
)
def test_row_errors_name_line_column_reason(sample_streets, tmp_path, office, content, line, column, reason):
    path = write(tmp_path, "x.csv", content)
    if line is None:
        assert registry_import(path, office=office).rows_applied == 1
        return
    with pytest.raises(ImportRejected) as exc:
        registry_import(path, office=office)
    e = exc.value.report.errors[0]
    assert (e.line, e.column) == (line, column)
    assert reason in e.reason
    assert Dwelling.objects.count() == 0


def test_birth_date_with_the_time_a_spreadsheet_writes_is_the_date(sample_streets, tmp_path, office):
    path = write(tmp_path, "x.csv", "D1;вул. Свободи;5;;;Коваль;Ія;;1990-01-13 00:00:00;;;\n")
    assert registry_import(path, office=office).rows_applied == 1
    assert list(Person.objects.values_list("birth_date", flat=True)) == [dt.date(1990, 1, 13)]


def test_missing_column_refused(sample_streets, tmp_path, office):
    p = tmp_path / "x.csv"
    p.write_text("dwelling;house\nD1;5\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as exc:
        registry_import(str(p), office=office)
    assert [(e.line, e.column, e.reason) for e in exc.value.report.errors] == [
        (1, "street", "required column is missing")
    ]


@pytest.mark.parametrize("kind", ["empty", "truncated_dbf", "cp866_csv", "not_xlsx"])
def test_unreadable_files_refused(sample_streets, tmp_path, office, kind):
    p = tmp_path / "f"
    if kind == "empty":
        p.write_bytes(b"")
    elif kind == "truncated_dbf":
        cols = [
            Column("dwelling", "KOD", "C", 10),
            Column("street", "STREET", "C", 40),
            Column("house", "HOUSE", "C", 10),
        ]
        write_dbf(p, cols, [["D1", "вул. Свободи", "5"], ["D2", "вул. Свободи", "6"]])
        p.write_bytes(p.read_bytes()[:-30])
    elif kind == "cp866_csv":
        p.write_bytes((HEADER + "D1;улица Привет;5;;;Петров;Сергей;Иванович;;;;\n" * 5).encode("cp866"))
    else:
        p.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    with pytest.raises(ImportRejected) as exc:
        registry_import(str(p), office=office)
    assert exc.value.report.errors
    assert Dwelling.objects.count() == 0


def test_dbf_with_two_fields_for_the_dwelling_is_refused_naming_both(sample_streets, tmp_path, office):
    p = tmp_path / "two-ids.dbf"
    cols = [
        Column("dwelling", "KOD", "C", 10),
        Column("street", "STREET", "C", 40),
        Column("house", "HOUSE", "C", 10),
        Column("dwelling", "DWELLING", "C", 10),
    ]
    write_dbf(p, cols, [["D1", "вул. Свободи", "5", "D2"]])
    with pytest.raises(ImportRejected) as exc:
        registry_import(str(p), office=office)
    assert [(e.column, e.reason) for e in exc.value.report.errors] == [
        ("dwelling", "fields KOD and DWELLING are both read as column 'dwelling'")
    ]
    assert Dwelling.objects.count() == 0


def test_accept_partial_keeps_rejected_dwellings_as_they_were(sample_streets, tmp_path, office):
    registry_import(
        write(
            tmp_path, "a.csv", "D1;вул. Свободи;5;1;;Коваль;Ія;;;;;\nD2;вул. Свободи;5;2;;Бондар;Ян;;;;;\n"
        ),
        office=office,
    )
    report = registry_import(
        write(
            tmp_path,
            "b.csv",
            "D1;вул. Свободи;5;1;;Коваль;Ія;;;1234;;\nD2;вул. Свободи;5;2;;Бондар;Ян;;;;;\nD3;вул. Свободи;5;3;;;;;;;;\n",
        ),
        office=office,
        accept_partial=True,
    )
    assert report.applied and report.rows_rejected == 1 and report.rows_applied == 2
    assert report.changes == {"dwelling_added": 1}
    assert Person.objects.filter(is_active=True).count() == 2


def test_building_of_another_office_refused(sample_streets, tmp_path, office, office2):
    registry_import(write(tmp_path, "a.csv", "D1;вул. Свободи;5;1;;;;;;;;\n"), office=office)
    with pytest.raises(ImportRejected) as exc:
        registry_import(write(tmp_path, "b.csv", "X1;вул. Свободи;5;2;;;;;;;;\n"), office=office2)
    assert "another housing office" in exc.value.report.errors[0].reason
    assert Dwelling.objects.count() == 1


def test_a_file_refused_before_its_rows_is_named(sample_streets, tmp_path, office):
    p = tmp_path / "zhek-01.csv"
    p.write_bytes(b"\xef\xbb\xbf" + HEADER.encode() + "D1;вул. Свободи;5;;;;;;;;;\n".encode("cp1251"))
    with pytest.raises(ImportRejected) as exc:
        registry_import(str(p), office=office)
    assert (exc.value.report.file_name, [str(e) for e in exc.value.report.errors]) == (
        "zhek-01.csv",
        ["line 2: the text is not valid UTF-8 (it starts with a UTF-8 byte-order mark)"],
    )


def test_a_title_row_above_the_header_is_refused_saying_so(sample_streets, tmp_path, office):
    import openpyxl

    p = tmp_path / "zhek.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Реєстр ЖЕК-01 станом на 01.11.2026"])
    book.active.append(HEADER.strip().split(";"))
    book.active.append(["D1", "вул. Свободи", "5"])
    book.save(p)
    with pytest.raises(ImportRejected) as exc:
        registry_import(str(p), office=office)
    assert [str(e) for e in exc.value.report.errors] == [
        "line 1: no header row: the first row must name the columns (dwelling, street, house, …); "
        "line 1 holds: реєстр жек-01 станом на 01.11.2026"
    ]


def test_xlsx_identifiers_kept_as_numbers_keep_their_leading_zeros(sample_streets, tmp_path, office):
    """A spreadsheet that holds the dwelling id, the house, the apartment and the РНОКПП as numbers shown
    with leading zeros (number formats `00000000`, `000`, `0000000000`) is read as Excel shows it."""
    import openpyxl

    p = tmp_path / "zhek.xlsx"
    book = openpyxl.Workbook()
    book.active.append(HEADER.strip().split(";"))
    book.active.append(
        [1000002, "вул. Свободи", 5, 3, 50.5, "Іваненко", "Петро", "", None, 123456781, "голова"]
    )
    for column, code in (("A", "00000000"), ("C", "000"), ("D", "000"), ("J", "0000000000")):
        book.active[f"{column}2"].number_format = code
    book.save(p)
    report = registry_import(str(p), office=office, today=dt.date(2026, 10, 1))
    assert (report.applied, report.errors) == (True, [])
    dwelling = Dwelling.objects.select_related("building").get()
    assert (dwelling.office_ref, dwelling.building.number, dwelling.building.key) == ("01000002", "005", "5")
    assert (dwelling.apartment, dwelling.apartment_key) == ("003", "3")
    assert Person.objects.get().tax_id == "0123456781"


@pytest.mark.parametrize(
    ("content", "column", "limit"),
    [
        ("D" * 33 + ";вул. Свободи;5;;;;;;;;;\n", "dwelling", 32),
        ("D1;вул. Свободи;" + "5" * 33 + ";;;;;;;;;\n", "house", 32),
        ("D1;вул. Свободи;5;" + "1" * 17 + ";;;;;;;;\n", "apartment", 16),
        ("D1;вул. Свободи;5;;;" + "Ш" * 81 + ";;;;;;\n", "surname", 80),
        ("D1;вул. Свободи;5;;;Шевчук;" + "І" * 81 + ";;;;;\n", "name", 80),
        ("D1;вул. Свободи;5;;;Шевчук;Ія;" + "І" * 81 + ";;;;\n", "patronymic", 80),
        ("D1;вул. Свободи;5;;;Шевчук;;;;;;" + "B" * 33 + "\n", "benefit", 32),
    ],
)
def test_a_value_longer_than_the_register_keeps_is_rejected(
    sample_streets, tmp_path, office, content, column, limit
):
    """PostgreSQL refused such a value mid-import with a traceback; SQLite stored it whole."""
    with pytest.raises(ImportRejected) as exc:
        registry_import(write(tmp_path, "x.csv", content), office=office)
    assert [str(e) for e in exc.value.report.errors] == [
        f"line 2, column {column}: longer than {limit} characters"
    ]
    assert snapshot_of_register() == (0, 0, 0, 0, 0)


def test_a_long_upload_name_is_kept_to_200_characters(sample_streets, tmp_path, office):
    report = registry_import(
        write(tmp_path, "x.csv", "D1;вул. Свободи;5;;;;;;;;;\n"), office=office, name="р" * 250 + ".csv"
    )
    assert report.applied
    assert RegistryImport.objects.get().file_name == "р" * 200


def test_accept_partial_keeps_a_dwelling_whose_first_row_was_rejected(sample_streets, tmp_path, office):
    registry_import(
        write(
            tmp_path,
            "a.csv",
            "D1;вул. Свободи;5;1;;Коваль;Ія;;;;head;\nD1;вул. Свободи;5;1;;Коваль;Ян;;;;child;\n",
        ),
        office=office,
    )
    changes = RegisterChange.objects.count()
    report = registry_import(
        write(
            tmp_path,
            "b.csv",
            "D1;вул. Свободи;5;1;;Коваль;Ія;;;;boss;\nD1;вул. Свободи;5;1;;Коваль;Ян;;;;child;\n",
        ),
        office=office,
        accept_partial=True,
    )
    assert [str(e) for e in report.errors] == [
        "line 2, column relation: unknown relation 'boss': head, spouse, child, parent, other, or a Ukrainian "
        "word for one (голова, дружина, чоловік, син, дочка, онук, мати, батько, брат, сестра, …)"
    ]
    assert (report.rows_applied, report.changes) == (0, {})
    # the head did not leave: the dwelling with a rejected row is left exactly as it was
    assert sorted(Person.objects.filter(is_active=True).values_list("name", flat=True)) == ["Ія", "Ян"]
    assert RegisterChange.objects.count() == changes


def test_streets_type_written_into_the_name_is_the_type(tmp_path, db):
    """`вул. Нова` in the name column with no type was stored as a street called `вул. Нова`, which
    an address `Нова` did not find, and `Нова вулиця` became a second street."""
    p = tmp_path / "s.csv"
    p.write_text("type;name;former_names\n;вул. Нова;вул. Стара\nпроїзд;Тихий проїзд;\n", encoding="utf-8")
    streets_import(str(p))
    assert sorted(Street.objects.values_list("type", "name")) == [("вул.", "Нова"), ("проїзд", "Тихий")]
    assert list(StreetName.objects.values_list("name", flat=True)) == ["Стара"]
    # a file without the former_names column leaves the former names alone; an empty cell clears them
    p.write_text("type;name\n;Нова вулиця\n", encoding="utf-8")
    assert streets_import(str(p)).changes == {"created": 0, "renamed": 0, "updated": 0}
    p.write_text("type;name;former_names\n;Нова вулиця;\n", encoding="utf-8")
    assert streets_import(str(p)).changes == {"created": 0, "renamed": 0, "updated": 1}
    assert not StreetName.objects.exists()


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("вул.;Нова;\nвул.;НОВА;Стара\n", "line 3, column name: the same street as line 2"),
        (";вул. Нова;\n;Нова вулиця;\n", "line 3, column name: the same street as line 2"),
        ("вул.;" + "Д" * 121 + ";\n", "line 2, column name: longer than 120 characters"),
        ("вул.;Нова;Стара|" + "Д" * 121 + "\n", "line 2, column former_names: longer than 120 characters"),
    ],
)
def test_streets_refused_rows(tmp_path, db, content, error):
    p = tmp_path / "s.csv"
    p.write_text("type;name;former_names\n" + content, encoding="utf-8")
    with pytest.raises(ImportRejected) as exc:
        streets_import(str(p))
    assert [str(e) for e in exc.value.report.errors] == [error]
    assert Street.objects.count() == 0


def test_house_and_apartment_are_kept_without_their_prefixes(sample_streets, tmp_path, office):
    registry_import(
        write(
            tmp_path,
            "a.csv",
            "D1;вул. Свободи;буд. 12 а;кв. 3;;;;;;;;\nD2;вул. Свободи;буд. 12 а;0;;;;;;;;\n",
        ),
        office=office,
    )
    d1, d2 = Dwelling.objects.order_by("office_ref")
    assert (d1.building.number, d1.apartment, str(d1)) == ("12 а", "3", "вул. Свободи, 12 а, кв. 3")
    assert (d2.apartment, str(d2)) == ("", "вул. Свободи, 12 а")
    before = snapshot_of_register()
    again = registry_import(
        write(tmp_path, "b.csv", "D1;Свободи;12а;3;;;;;;;;\nD2;Свободи;12-А;;;;;;;;;\n"), office=office
    )
    assert again.changes == {}
    assert snapshot_of_register() == before


@pytest.mark.parametrize(
    ("word", "relation"),
    [
        ("Голова сім’ї", "head"),
        ("ВІДПОВІДАЛЬНИЙ КВАРТИРОНАЙМАЧ", "head"),
        ("сам", "head"),
        ("глава семьи", "head"),
        ("жінка", "spouse"),
        ("муж", "spouse"),
        ("Онучка", "child"),
        ("пасинок", "child"),
        ("дочь", "child"),
        ("вітчим", "parent"),
        ("мама", "parent"),
        ("брат", "other"),
        ("сестра", "other"),
        ("теща", "other"),
        ("невістка", "other"),
        ("бабуся", "other"),
        ("квартирант", "other"),
        ("Other", "other"),
    ],
)
def test_relation_words_of_household_registers(sample_streets, tmp_path, office, word, relation):
    registry_import(write(tmp_path, "a.csv", f"D1;вул. Свободи;5;1;;Коваль;Ія;;;;{word};\n"), office=office)
    assert Person.objects.get().relation == relation


@pytest.mark.parametrize("area", ["1e3", "5E1", "+54", "54.3.1", "٥٤"])
def test_an_area_is_digits_with_one_decimal_separator(sample_streets, tmp_path, office, area):
    with pytest.raises(ImportRejected) as exc:
        registry_import(write(tmp_path, "a.csv", f"D1;вул. Свободи;5;1;{area};;;;;;;\n"), office=office)
    assert [str(e) for e in exc.value.report.errors] == [f"line 2, column area: not an area in m²: {area!r}"]


@pytest.mark.parametrize(
    ("area", "stored"), [("54,3", "54.30"), ("1 234,5", "1234.50"), ("55,555", "55.56"), ("60", "60.00")]
)
def test_area_spellings_that_are_read(sample_streets, tmp_path, office, area, stored):
    registry_import(write(tmp_path, "a.csv", f"D1;вул. Свободи;5;1;{area};;;;;;;\n"), office=office)
    assert str(Dwelling.objects.get().area) == stored


def streets_file(tmp_path, text):
    p = tmp_path / "streets.csv"
    p.write_text("type;name;former_names\n" + text, encoding="utf-8")
    return str(p)


def test_a_street_renamed_in_the_directory_is_the_same_street(tmp_path, office):
    from merezha.registry.selectors import address_match

    streets_import(streets_file(tmp_path, "вул.;Леніна;\nвул.;Кірова;\n"))
    registry_import(write(tmp_path, "a.csv", "D1;вул. Леніна;5;1;;;;;;;;\n"), office=office)
    lenina = Street.objects.get(name="Леніна")
    report = streets_import(streets_file(tmp_path, "вул.;Свободи;Леніна\nвул.;Кірова;\n"))
    assert report.changes == {"created": 0, "renamed": 1, "updated": 1}
    street = Street.objects.get(pk=lenina.pk)
    assert (street.type, street.name, street.key) == ("вул.", "Свободи", "свободи")
    assert [n.name for n in street.former_names.all()] == ["Леніна"]
    assert Street.objects.count() == 2
    dwelling = Dwelling.objects.get()
    assert str(dwelling) == "вул. Свободи, 5, кв. 1"
    # the old name is a former one now: addresses written either way find the dwelling
    for spelling in ("вул. Леніна", "Свободи"):
        assert address_match(street=spelling, house="5", apartment="1").dwelling_id == dwelling.pk
    # the office's next register under the new name changes nothing
    again = registry_import(write(tmp_path, "b.csv", "D1;вул. Свободи;5;1;;;;;;;;\n"), office=office)
    assert again.changes == {}


def test_a_renamed_street_is_told_by_its_type_among_streets_of_the_former_name(tmp_path, db):
    streets_import(streets_file(tmp_path, "вул.;Леніна;\nпров.;Леніна;\n"))
    lane = Street.objects.get(type="пров.")
    streets_import(streets_file(tmp_path, "вул.;Леніна;\nпров.;Вишневий;Леніна\n"))
    assert Street.objects.get(pk=lane.pk).name == "Вишневий"
    assert sorted(str(s) for s in Street.objects.all()) == ["вул. Леніна", "пров. Вишневий"]


def test_a_street_still_listed_under_its_name_is_not_renamed(tmp_path, db):
    streets_import(streets_file(tmp_path, "вул.;Леніна;\n"))
    report = streets_import(streets_file(tmp_path, "вул.;Леніна;\nвул.;Свободи;Леніна\n"))
    assert report.changes == {"created": 1, "renamed": 0, "updated": 1}
    assert sorted(str(s) for s in Street.objects.all()) == ["вул. Леніна", "вул. Свободи"]


def test_a_rename_that_cannot_be_told_is_refused_and_changes_nothing(tmp_path, db):
    streets_import(streets_file(tmp_path, "пров.;Леніна;\nпл.;Леніна;\n"))
    with pytest.raises(ImportRejected) as exc:
        streets_import(streets_file(tmp_path, "вул.;Свободи;Леніна\n"))
    assert [str(e) for e in exc.value.report.errors] == [
        "line 2, column former_names: the former names name 2 streets of the directory (пров. Леніна, "
        "пл. Леніна): which one was renamed cannot be told"
    ]
    assert sorted(str(s) for s in Street.objects.all()) == ["пл. Леніна", "пров. Леніна"]


def test_a_building_handed_over_by_its_office_passes_to_the_next_one(
    sample_streets, tmp_path, office, office2
):
    registry_import(
        write(tmp_path, "a.csv", "D1;вул. Свободи;5;1;;;;;;;;\nD2;вул. Свободи;7;1;;;;;;;;\n"), office=office
    )
    # while office 1 has dwellings in house 5, office 2 cannot take it
    with pytest.raises(ImportRejected) as exc:
        registry_import(write(tmp_path, "b.csv", "A1;Свободи;5;1;;;;;;;;\n"), office=office2)
    assert [str(e) for e in exc.value.report.errors] == [
        "line 2, column house: the building belongs to another housing office"
    ]
    # office 1's register no longer has house 5: it has handed the building over
    registry_import(write(tmp_path, "c.csv", "D2;вул. Свободи;7;1;;;;;;;;\n"), office=office)
    report = registry_import(write(tmp_path, "b.csv", "A1;Свободи;5;1;;;;;;;;\n"), office=office2)
    # office 2's first register: its starting state, not a change
    assert report.changes == {}
    building = Building.objects.get(key="5")
    assert building.office == office2
    assert sorted(building.dwellings.values_list("office__code", "office_ref", "is_active")) == [
        ("ZHEK-01", "D1", False),
        ("ZHEK-02", "A1", True),
    ]
    # and office 1 cannot take it back while office 2 has it
    with pytest.raises(ImportRejected):
        registry_import(write(tmp_path, "d.csv", "D1;вул. Свободи;5;1;;;;;;;;\n"), office=office)


def test_a_json_register_naming_another_office_is_refused(sample_streets, samples, office, office2):
    registry_import(str(samples / "registry-ZHEK-02.json"), office=office2)
    before = snapshot_of_register()
    with pytest.raises(ImportRejected) as exc:
        registry_import(str(samples / "registry-ZHEK-02.json"), office=office)
    assert [str(e) for e in exc.value.report.errors] == [
        "line 1, column office: the file is housing office ZHEK-02's register, not ZHEK-01's"
    ]
    assert snapshot_of_register() == before
    # applied for the office it names, the same file is no change
    again = registry_import(str(samples / "registry-ZHEK-02.json"), office=office2)
    assert again.changes == {}


def test_the_area_written_on_a_later_row_of_the_dwelling_is_kept(sample_streets, tmp_path, office):
    registry_import(
        write(
            tmp_path,
            "a.csv",
            "D1;вул. Свободи;5;1;;Коваль;Ія;;;;child;\nD1;вул. Свободи;5;1;54,3;Коваль;Ян;;;;head;\n"
            "D1;вул. Свободи;5;1;;Коваль;Ада;;;;spouse;\n",
        ),
        office=office,
    )
    assert str(Dwelling.objects.get().area) == "54.30"


def _names_import(tmp_path, office, name, surname, first, patronymic="Петрович"):
    """One person (identified by the tax id) written `surname first patronymic`."""
    row = f"D1;вул. Свободи;5;1;;{surname};{first};{patronymic};1970-02-01;3460442939;head;\n"
    return registry_import(write(tmp_path, name, row), office=office, today=dt.date(2026, 11, 1))


def test_look_alike_letters_in_a_name_are_no_change(sample_streets, tmp_path, office):
    """Legacy software writes Latin look-alikes inside Cyrillic names (`Iван` with a Latin I, `Kоваленко`
    with a Latin K and o): the same name in proper Cyrillic is no change, and the proper spelling is kept."""
    _names_import(tmp_path, office, "a.csv", "Kоваленкo", "Iван", "Пeтрович")  # Latin K, o, I, e
    assert Person.objects.get().surname == "Kоваленкo"
    before = RegisterChange.objects.count()
    report = _names_import(tmp_path, office, "b.csv", "Коваленко", "Іван", "Петрович")
    assert (report.changes, RegisterChange.objects.count()) == ({}, before)
    person = Person.objects.get()
    assert (person.surname, person.name, person.patronymic) == ("Коваленко", "Іван", "Петрович")
    assert report.touched_dwellings == {person.dwelling_id}  # the search index learns the new spelling
    # the look-alike spelling again: still no change, and the proper Cyrillic spelling stays
    report = _names_import(tmp_path, office, "c.csv", "KОВАЛЕНКО", "IВАН", "ПЕТPОВИЧ")
    assert (report.changes, RegisterChange.objects.count()) == ({}, before)
    person = Person.objects.get()
    assert (person.surname, person.name, person.patronymic) == ("Коваленко", "Іван", "Петрович")
    assert report.touched_dwellings == set()


def test_a_name_respelt_in_proper_cyrillic_takes_the_newer_spelling_silently(
    sample_streets, tmp_path, office
):
    _names_import(tmp_path, office, "a.csv", "КОВАЛЕНКО", "ІВАН", "ПЕТРОВИЧ")
    before = RegisterChange.objects.count()
    report = _names_import(tmp_path, office, "b.csv", "Коваленко", "Іван", "Петрович")
    assert (report.changes, RegisterChange.objects.count()) == ({}, before)
    person = Person.objects.get()
    assert (person.surname, person.name, person.patronymic) == ("Коваленко", "Іван", "Петрович")
    # a letter a legacy code page lacks (`є` written `е`) is no change either, and the fuller spelling stays
    _names_import(tmp_path, office, "c.csv", "Коваленко", "Євген", "Петрович")
    report = _names_import(tmp_path, office, "d.csv", "Коваленко", "Евген", "Петрович")
    assert report.changes == {}
    assert Person.objects.get().name == "Євген"


def test_another_surname_is_still_a_change_of_name(sample_streets, tmp_path, office):
    _names_import(tmp_path, office, "a.csv", "Kоваленко", "Iван")  # Latin K and I
    report = _names_import(tmp_path, office, "b.csv", "Петренко", "Іван")
    assert report.changes == {"person_changed": 1}
    change = RegisterChange.objects.get(kind="person_changed")
    assert (change.field, change.old_value, change.new_value) == ("surname", "Kоваленко", "Петренко")
    person = Person.objects.get()
    assert (person.surname, person.surname_key, person.name) == ("Петренко", "петренко", "Іван")


@pytest.mark.parametrize(
    ("tax_id", "birth_date", "stored"),
    [
        (779483743, "1921-05-04", "0779483743"),  # 0779483743 passes the check digit and encodes 1921-05-04
        (779483743, dt.date(1921, 5, 4), "0779483743"),  # a date cell
        (779483743, "1950-01-01", "779483743"),  # another birth date: an ID-card number
        (779483743, None, "779483743"),  # no birth date: cannot be told, an ID-card number
        (779483742, "1921-05-04", "779483742"),  # 0779483742 fails the check digit
        ("779483743", "1921-05-04", "0779483743"),  # text cell: the same reading
    ],
)
def test_a_rntrc_that_lost_its_leading_zero_in_a_spreadsheet(
    sample_streets, tmp_path, office, tax_id, birth_date, stored
):
    """A РНОКПП typed into a spreadsheet as a plain number loses its leading zero (`0779483743` →
    779483743, nine digits like an ID-card number). Its first five digits count the days from 1899-12-31
    to the birth date, so the row's birth date tells which it is."""
    import openpyxl

    p = tmp_path / "zhek.xlsx"
    book = openpyxl.Workbook()
    book.active.append(HEADER.strip().split(";"))
    book.active.append(
        ["D1", "вул. Свободи", 5, 3, None, "Іваненко", "Олена", "", birth_date, tax_id, "голова"]
    )
    book.save(p)
    report = registry_import(str(p), office=office, today=dt.date(2026, 10, 1))
    assert (report.applied, report.errors) == (True, [])
    assert Person.objects.get().tax_id == stored


# --- registration dates (`registered_from`) and the first register -------------------------------

DATED_HEADER = HEADER.rstrip("\n") + ";registered_from\n"


def write_dated(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(DATED_HEADER + text, encoding="utf-8")
    return str(p)


def registration_dates():
    return sorted(Person.objects.values_list("name", "registered_from", "is_active"))


def test_a_first_register_is_the_starting_state_with_no_change_and_no_invented_date(
    sample_streets, tmp_path, office
):
    report = registry_import(
        write(
            tmp_path,
            "a.csv",
            "D1;вул. Свободи;5;1;;Коваль;Ія;;1980-01-02;;;\nD2;вул. Свободи;5;2;;Бондар;Ян;;;;;\n",
        ),
        office=office,
        today=dt.date(2026, 11, 20),
    )
    assert registration_dates() == [("Ія", None, True), ("Ян", None, True)]
    assert report.changes == {}
    assert RegisterChange.objects.count() == 0
    assert RegistryImport.objects.get().changes == 0
    assert report.notes == [
        "the office's first register: 2 dwellings and 2 persons taken as the register's starting state, "
        "no change recorded"
    ]
    # the cashier's search still learns every dwelling of it
    assert report.touched_dwellings == set(Dwelling.objects.values_list("pk", flat=True))


def test_the_registration_dates_of_the_file_are_kept_and_unknown_where_it_has_none(
    sample_streets, tmp_path, office
):
    registry_import(
        write_dated(
            tmp_path,
            "a.csv",
            "D1;вул. Свободи;5;1;;Коваль;Ія;;1980-01-02;;;;15.03.2005\n"
            "D1;вул. Свободи;5;1;;Коваль;Ян;;;;;;\n",
        ),
        office=office,
        today=dt.date(2026, 11, 20),
    )
    assert registration_dates() == [("Ія", dt.date(2005, 3, 15), True), ("Ян", None, True)]


def test_a_later_arrival_is_dated_by_the_file_or_the_import_and_its_date_kept(
    sample_streets, tmp_path, office
):
    registry_import(
        write_dated(tmp_path, "a.csv", "D1;вул. Свободи;5;1;;Коваль;Ія;;;;;;2005-03-15\n"),
        office=office,
        today=dt.date(2026, 10, 1),
    )
    report = registry_import(
        write_dated(
            tmp_path,
            "b.csv",
            "D1;вул. Свободи;5;1;;Коваль;Ія;;;;;;\n"  # an empty date keeps the date the register knows
            "D1;вул. Свободи;5;1;;Коваль;Ян;;;;;;2026-11-03\n"
            "D1;вул. Свободи;5;1;;Коваль;Ол;;;;;;\n",
        ),
        office=office,
        today=dt.date(2026, 11, 20),
    )
    assert report.changes == {"arrived": 2}
    assert sorted(RegisterChange.objects.values_list("person__name", "kind", "effective_date")) == [
        ("Ол", "arrived", dt.date(2026, 11, 20)),
        ("Ян", "arrived", dt.date(2026, 11, 3)),
    ]
    assert registration_dates() == [
        ("Ія", dt.date(2005, 3, 15), True),
        ("Ол", None, True),
        ("Ян", dt.date(2026, 11, 3), True),
    ]


def test_a_corrected_registration_date_is_a_recorded_change(sample_streets, tmp_path, office):
    registry_import(write_dated(tmp_path, "a.csv", "D1;вул. Свободи;5;1;;Коваль;Ія;;;;;;\n"), office=office)
    report = registry_import(
        write_dated(tmp_path, "b.csv", "D1;вул. Свободи;5;1;;Коваль;Ія;;;;;;2005-03-15\n"),
        office=office,
        today=dt.date(2026, 11, 20),
    )
    assert report.changes == {"person_changed": 1}
    assert list(RegisterChange.objects.values_list("kind", "field", "old_value", "new_value")) == [
        ("person_changed", "registered_from", "", "2005-03-15")
    ]
    assert registration_dates() == [("Ія", dt.date(2005, 3, 15), True)]


@pytest.mark.parametrize(
    ("birth", "registered", "reason"),
    [
        ("", "2099-01-01", "registration date 2099-01-01 is in the future"),
        ("1980-01-02", "1979-12-31", "registration date 1979-12-31 is before the birth date 1980-01-02"),
        ("", "31.02.2005", "not a date: '31.02.2005' (expected YYYY-MM-DD or DD.MM.YYYY)"),
    ],
)
def test_a_wrong_registration_date_rejects_its_row(
    sample_streets, tmp_path, office, birth, registered, reason
):
    with pytest.raises(ImportRejected) as exc:
        registry_import(
            write_dated(tmp_path, "a.csv", f"D1;вул. Свободи;5;1;;Коваль;Ія;;{birth};;;;{registered}\n"),
            office=office,
        )
    assert [str(e) for e in exc.value.report.errors] == [f"line 2, column registered_from: {reason}"]
    assert Person.objects.count() == 0


def test_a_dbf_register_carries_its_registration_dates_in_datareg(sample_streets, tmp_path, office):
    p = tmp_path / "r.dbf"
    cols = [
        Column("dwelling", "KOD", "C", 10),
        Column("street", "STREET", "C", 40),
        Column("house", "HOUSE", "C", 10),
        Column("surname", "FAM", "C", 40),
        Column("registered_from", "DATAREG", "D", 8),
    ]
    write_dbf(
        p,
        cols,
        [
            ["D1", "вул. Свободи", "5", "Коваль", dt.date(2005, 3, 15)],
            ["D2", "вул. Свободи", "6", "Бондар", None],
        ],
    )
    registry_import(str(p), office=office)
    assert sorted(Person.objects.values_list("surname", "registered_from")) == [
        ("Бондар", None),
        ("Коваль", dt.date(2005, 3, 15)),
    ]
