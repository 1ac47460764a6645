import datetime as dt
import io
import json
import struct
import zipfile

import pytest

from merezha.formats import FormatError, open_table
from merezha.formats.writers import Column, write_dbf
from tests.workbooks import SHEET, workbook, workbook_part_changed


def rows_of(path, **kw):
    with open_table(path, **kw) as t:
        return t, list(t.rows)


def test_csv_cp1251_semicolon(samples):
    t, rows = rows_of(samples / "registry-ZHEK-01.csv")
    assert (t.format, t.encoding, len(rows)) == ("csv", "cp1251", 136)
    assert rows[0][0] == 2
    assert rows[0][1]["dwelling"] == "01000002"


def test_csv_utf8_bom(samples):
    t, rows = rows_of(samples / "snapshot-water-2026-10.csv")
    assert (t.encoding, len(rows)) == ("utf-8", 249)
    assert t.columns[0] == "account"
    assert rows[0][1]["opening"] == "-4,38"


def test_xlsx_floats_kept_exact_enough_to_round(samples):
    t, rows = rows_of(samples / "snapshot-rent-2026-10.xlsx")
    assert (t.format, len(rows)) == ("xlsx", 125)


def test_dbf_cp1125_with_zero_language_byte(samples):
    t, rows = rows_of(samples / "registry-ZHEK-02.dbf", dbf_fields={"KOD": "dwelling", "FAM": "surname"})
    assert (t.format, t.encoding, len(rows)) == ("dbf", "cp1125", 98)
    assert any("і" in r["surname"] for _, r in rows)
    assert not any("ў" in r["surname"] for _, r in rows)


def test_dbf_cp866_declared(samples):
    t, rows = rows_of(samples / "snapshot-heat-2026-10.dbf", dbf_fields={"LS": "account"})
    assert (t.encoding, len(rows)) == ("cp866", 225)


def test_json_metadata(samples):
    t, rows = rows_of(samples / "snapshot-waste-2026-10.json")
    assert len(rows) == 125
    assert t.metadata == {"provider": "waste", "period": "2026-10", "payments_through": "2026-10-31"}


def test_empty_file_refused(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        rows_of(p)


def test_truncated_dbf_refused(tmp_path):
    p = tmp_path / "t.dbf"
    write_dbf(p, [Column("a", "A", "C", 10)], [["x"], ["y"], ["z"]])
    data = p.read_bytes()
    p.write_bytes(data[:-15])
    with pytest.raises(FormatError, match="truncated DBF"):
        rows_of(p)


def test_dbf_round_trip_each_code_page(tmp_path):
    for enc in ("cp1251", "cp866", "cp1125"):
        p = tmp_path / f"{enc}.dbf"
        write_dbf(
            p,
            [Column("street", "STREET", "C", 30), Column("sum", "SUMMA", "N", 12, 2)],
            [["вул. Підгірна", "12.50"], ["Їжакевича", "-3.00"]],
            encoding=enc,
        )
        t, rows = rows_of(p, dbf_fields={"STREET": "street", "SUMMA": "sum"})
        assert t.encoding == enc
        street = "вул. Пiдгiрна" if enc == "cp866" else "вул. Підгірна"  # cp866 lacks і: Latin i
        assert [r for _, r in rows] == [
            {"street": street, "sum": "12.50"},
            {"street": "Їжакевича", "sum": "-3.00"},
        ]


def test_undecodable_csv_refused():
    text = "street;house\n" + "Привет мир, проспект Миру, переулок Садовый;1\n" * 20
    data = io.BytesIO(text.encode("cp866"))
    with pytest.raises(FormatError, match="neither UTF-8 nor cp1251"), open_table(data, name="x.csv") as t:
        list(t.rows)


def test_not_a_workbook(tmp_path):
    p = tmp_path / "x.xlsx"
    p.write_bytes(b"PK\x03\x04garbage" + b"\x00" * 100)
    with pytest.raises(FormatError, match="XLSX"):
        rows_of(p)


def test_malformed_json(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"rows": [{"a": "1"}, {"a": ')
    with pytest.raises(FormatError, match="malformed JSON"):
        rows_of(p)


def test_dbf_header_garbage(tmp_path):
    p = tmp_path / "x.dbf"
    p.write_bytes(bytes([3, 126, 1, 1]) + struct.pack("<IHH", 1, 65, 11) + b"\x00" * 60)
    with pytest.raises(FormatError):
        rows_of(p)


# --- partner files the samples do not cover ------------------------------------------------------
def table_of(data: bytes, name: str = "x.csv", **kw):
    with open_table(io.BytesIO(data), name=name, **kw) as t:
        return t, list(t.rows)


def refusal(data: bytes, name: str = "x.csv", **kw) -> str:
    with pytest.raises(FormatError) as exc:
        table_of(data, name, **kw)
    return str(exc.value)


def test_csv_comma_delimiter_with_decimal_comma_in_quotes_and_crlf():
    t, rows = table_of(
        b'Account , CLOSING,house\r\nA1,"1 234,56",12/1\r\n\r\nA2,"-4,38","12, \xd0\xba\xd0\xbe\xd1\x80\xd0\xbf. 2"\r\n'
    )
    assert (t.columns, rows) == (
        ["account", "closing", "house"],
        [(2, {"account": "A1", "closing": "1 234,56", "house": "12/1"}),
         (4, {"account": "A2", "closing": "-4,38", "house": "12, корп. 2"})],
    )  # fmt: skip


def test_csv_cp1251_with_and_without_bom_and_utf8_bom():
    text = "street;house\nвул. Кам'янецька;3б\n"
    assert table_of(text.encode("cp1251"))[0].encoding == "cp1251"
    assert table_of(b"\xef\xbb\xbf" + text.encode())[1] == [
        (2, {"street": "вул. Кам'янецька", "house": "3б"})
    ]
    assert refusal(b"\xef\xbb\xbf" + text.encode("cp1251")) == (
        "line 2: the text is not valid UTF-8 (it starts with a UTF-8 byte-order mark)"
    )


def test_csv_invalid_byte_deep_in_the_file_is_reported_at_its_own_line():
    lines = ["street;house"] + [f"вул. Свободи;{n}" for n in range(1, 20000)]
    data = "\n".join(lines).encode() + b"\nbad\xff;1\n"
    assert refusal(data) == "line 20001: the text is not valid UTF-8"


def test_csv_lines_count_blank_lines_before_the_header():
    t, rows = table_of(b"\n\n  \naccount;closing\nA1;1\n\nA2;2\n")
    assert (t.header_line, [line for line, _ in rows]) == (4, [5, 7])


def test_csv_quoted_field_with_newlines_keeps_the_line_where_the_row_starts():
    _, rows = table_of('payer;closing\n"Коваленко\nІрина";1\nБойко;2\n'.encode())
    assert rows == [
        (2, {"payer": "Коваленко\nІрина", "closing": "1"}),
        (4, {"payer": "Бойко", "closing": "2"}),
    ]


def test_csv_records_are_the_rows_as_lists_in_the_order_of_the_columns():
    data = b'account;closing;house\nA1; 1 ;12/1\n\n"A\n2";2\nA3;3;1;\n;;\nA4\n'
    with open_table(io.BytesIO(data), name="x.csv") as t:
        assert t.records is not None
        records = list(t.records)
    assert records == [
        (2, ["A1", "1", "12/1"]),
        (4, ["A\n2", "2", ""]),
        (6, ["A3", "3", "1"]),
        (8, ["A4", "", ""]),
    ]
    as_rows = [(line, dict(zip(t.columns, values, strict=True))) for line, values in records]
    assert as_rows == table_of(data)[1]


def test_csv_records_report_a_malformed_row_at_its_first_line():
    with pytest.raises(FormatError) as exc, open_table(io.BytesIO(b'a;b\n1;2\n3;"4"5\n'), name="x.csv") as t:
        list(t.records or [])
    assert str(exc.value) == "line 3: malformed CSV: ';' expected after '\"'"


def test_only_csv_has_records(samples):
    with open_table(samples / "snapshot-rent-2026-10.xlsx") as t:
        assert t.records is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"account;closing;Closing\nA1;1;2\n", "line 1, column closing: column 'closing' appears twice in the header"),
        (b'account;closing\nA1;"1\nA2;2\n', "line 2: a quoted field is not closed before the end of the file"),
        (b'account;closing\nA1;"1"2\n', "line 2: malformed CSV: ';' expected after '\"'"),
        (b"account;closing\nA1;" + b"9" * 200_000 + b"\n",
         "line 2: a field is longer than 32,767 characters (a quote left open?)"),
        (b"account;closing\nA1;1\nA2;\x00\x00\n",
         "line 3: the file holds NUL bytes, which CSV text never has (binary data or UTF-16?)"),
        ("\ufeffaccount;closing\n".encode("utf-16-le"), "not an exchange file: UTF-16 text: save the file as UTF-8 or cp1251"),
        (b"%PDF-1.4\n%\xe2\xe3", "not an exchange file: a PDF document, not CSV, XLSX, DBF or JSON"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 40, "not an exchange file: a gzip archive: unpack it and send the file inside"),
    ],
)  # fmt: skip
def test_csv_refusals_name_line_and_reason(data, reason):
    assert refusal(data) == reason


def test_format_is_told_from_the_content_not_the_name(samples):
    data = (samples / "snapshot-rent-2026-10.xlsx").read_bytes()
    t, rows = table_of(data, name="rent.csv")
    assert (t.format, len(rows)) == ("xlsx", 125)


def test_xlsx_numbers_floats_dates_and_booleans():
    data = workbook(
        [
            ["closing", "paid", "birth_date", "tax_id", "flag"],
            [220.54999999999998, 12.349999999, dt.datetime(1980, 5, 17), 1779483742, True],
            [0.1 + 0.2, 12.345, dt.date(2026, 11, 1), "0012", False],
            [1e-05, -4.38, "17.05.1980", None, None],
        ]
    )
    _, rows = table_of(data, name="x.xlsx")
    assert [r for _, r in rows] == [
        {
            "closing": "220.55",
            "paid": "12.35",
            "birth_date": "1980-05-17",
            "tax_id": "1779483742",
            "flag": "true",
        },
        {"closing": "0.3", "paid": "12.345", "birth_date": "2026-11-01", "tax_id": "0012", "flag": "false"},
        {"closing": "0.00001", "paid": "-4.38", "birth_date": "17.05.1980", "tax_id": "", "flag": ""},
    ]


def test_xlsx_title_row_is_taken_as_the_header_and_named():
    t, _ = table_of(workbook([["account", "closing"], ["A1", 1]], title="Звіт за жовтень"), name="x.xlsx")
    assert (t.header_line, t.columns) == (1, ["звіт за жовтень"])
    t, rows = table_of(workbook([[None], ["account", "closing"], ["A1", 1]]), name="x.xlsx")
    assert (t.header_line, rows) == (2, [(3, {"account": "A1", "closing": "1"})])


def test_xlsx_formula_with_a_cached_value_is_read_and_without_one_refused(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["opening", "paid", "closing"])
    book.active.append([10, 5, "=A2-B2"])  # openpyxl writes the formula without a value
    path = tmp_path / "f.xlsx"
    book.save(path)
    with pytest.raises(FormatError) as exc:
        rows_of(path)
    assert str(exc.value) == (
        "line 2, column closing: cell C2 holds a formula without a computed value: open the file in "
        "Excel or LibreOffice and save it, or write the values instead of formulas"
    )

    # as Excel or LibreOffice save it: the formula with its computed value
    def with_value(xml: bytes) -> bytes:
        assert b"<f>A2-B2</f><v />" in xml
        return xml.replace(b"<f>A2-B2</f><v />", b"<f>A2-B2</f><v>5</v>")

    saved = tmp_path / "saved.xlsx"
    saved.write_bytes(workbook_part_changed(path.read_bytes(), SHEET, with_value))
    assert [r for _, r in rows_of(saved)[1]] == [{"opening": "10", "paid": "5", "closing": "5"}]


def _workbook_with(part: str, xml: bytes) -> bytes:
    """A workbook of two rows whose `part` is replaced by `xml`: what a damaged upload holds."""
    data = workbook([["dwelling", "street"], ["D1", "вул. Свободи"]])
    return workbook_part_changed(data, part, lambda _: xml)


@pytest.mark.parametrize(
    ("part", "xml", "reason"),
    [
        ("xl/workbook.xml", b"<<<",
         "not a readable XLSX workbook: the workbook's XML is malformed (not well-formed (invalid token): line 1, column 1)"),
        ("xl/styles.xml", b"<styleSheet",
         "not a readable XLSX workbook: the workbook's XML is malformed (unclosed token: line 1, column 0)"),
    ],
)  # fmt: skip
def test_xlsx_with_xml_that_is_not_well_formed_is_refused(part, xml, reason):
    assert refusal(_workbook_with(part, xml), name="x.xlsx") == reason


def test_xlsx_whose_sheet_breaks_off_is_refused_at_the_row_where_it_breaks():
    data = workbook([["dwelling", "street"], *[[f"D{i}", "вул. Свободи"] for i in range(2, 2001)]])
    cut = workbook_part_changed(data, SHEET, lambda sheet: sheet[: sheet.index(b'<row r="1500"') + 30])
    reason = refusal(cut, name="x.xlsx")
    assert reason.startswith(
        "line 1500: not a readable XLSX workbook: the sheet's XML is malformed after row 1499 (unclosed token: "
    )


def test_json_number_with_a_huge_exponent_is_kept_as_written_not_expanded():
    _, rows = table_of(b'{"rows": [{"closing": 1e999999, "paid": 1.5e-300, "area": 54.3e0}]}', name="x.json")
    assert rows == [(2, {"closing": "1E+999999", "paid": "1.5E-300", "area": "54.3"})]


def _formatted_workbook(rows, formats: dict[str, str]) -> bytes:
    """A workbook whose cells in the columns `formats` names (by letter) have that number format."""
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    for letter, code in formats.items():
        for (cell,) in book.active.iter_rows(min_row=2, min_col=ord(letter) - 64, max_col=ord(letter) - 64):
            cell.number_format = code
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_number_cells_formatted_with_zeros_keep_their_leading_zeros():
    data = _formatted_workbook(
        [
            ["dwelling", "tax_id", "house", "apartment", "account", "closing"],
            [1000002, 123456789, 12, 5, 42.0, 120],
            [21000002, 1779483742, 7, 105, 123456789012, 5],
            [None, "0012345678", "12а", "5", -3, 12.5],
        ],
        {"A": "00000000", "B": "0000000000", "C": "000", "D": "000", "E": "0000000", "F": "0000"},
    )
    _, rows = table_of(data, name="x.xlsx")
    assert [r for _, r in rows] == [
        {
            "dwelling": "01000002",
            "tax_id": "0123456789",
            "house": "012",
            "apartment": "005",
            "account": "0000042",
            "closing": "0120",
        },
        {
            "dwelling": "21000002",
            "tax_id": "1779483742",
            "house": "007",
            "apartment": "105",
            "account": "123456789012",
            "closing": "0005",
        },
        # text stays as written; a negative or a fractional number is never padded (an amount keeps its
        # value: Excel would show 12.5 as `0013`)
        {
            "dwelling": "",
            "tax_id": "0012345678",
            "house": "12а",
            "apartment": "5",
            "account": "-3",
            "closing": "12.5",
        },
    ]


@pytest.mark.parametrize("code", ["0", "General", "0.00", "#,##0", "@", '"№"0000', "0000;@"])
def test_xlsx_number_cells_with_other_formats_read_as_before(code):
    data = _formatted_workbook([["account", "closing"], [42, 120], [7, 0.5]], {"A": code, "B": code})
    _, rows = table_of(data, name="x.xlsx")
    assert [r for _, r in rows] == [{"account": "42", "closing": "120"}, {"account": "7", "closing": "0.5"}]


def test_xlsx_zero_formats_found_only_where_a_style_uses_one(samples):
    import openpyxl

    from merezha.formats.readers import _xlsx_zero_formats

    plain = openpyxl.load_workbook(samples / "snapshot-rent-2026-10.xlsx", read_only=True)
    formatted = openpyxl.load_workbook(
        io.BytesIO(_formatted_workbook([["tax_id", "closing"], [1, 2]], {"A": "0000000000", "B": "0.00"})),
        read_only=True,
    )
    assert (_xlsx_zero_formats(plain), _xlsx_zero_formats(formatted)) == (set(), {"0000000000"})


def test_xlsx_duplicate_header_refused():
    assert refusal(workbook([["account", " Account "], ["A1", "A2"]]), name="x.xlsx") == (
        "line 1, column account: column 'account' appears twice in the header"
    )


def test_json_numbers_and_strings():
    data = json.dumps(
        {"Period": "2026-10", "ROWS": [{"Closing": 12.5, "paid": "1 234,56", "x": True, "y": None, "z": 1e2}]}
    ).encode()
    t, rows = table_of(data, name="x.json")
    assert rows == [(2, {"closing": "12.5", "paid": "1 234,56", "x": "true", "y": "", "z": "100"})]
    assert t.metadata == {"period": "2026-10"}
    _, rows = table_of(b'{"rows": [{"closing": 0.30000000000000004, "paid": 12.345}]}', name="x.json")
    assert rows == [(2, {"closing": "0.30", "paid": "12.345"})]


def test_json_numbers_with_an_exponent_are_read_by_their_value_and_texts_as_written():
    data = b'{"rows": [{"a": 1e3, "b": 1.5E2, "c": 2.5e-1, "d": 1e-3, "e": -1E+3, "f": "1e3"}]}'
    assert table_of(data, name="x.json")[1] == [
        (2, {"a": "1000", "b": "150", "c": "0.25", "d": "0.001", "e": "-1000", "f": "1e3"})
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"rows": [{"payer": {"surname": "X"}}]}', "line 2, column payer: a value must be a text or a number, not an object"),
        (b'{"rows": [{"a": "1"}, {"former_names": ["A", "B"]}]}', "line 3, column former_names: a value must be a text or a number, not a list"),
        (b'{"rows": [{"closing": "1", "closing": "2"}]}', "line 2, column closing: the key 'closing' appears twice in the row"),
        (b'{"rows": {"a": {"closing": "1"}}}', "`rows` must be an array of row objects"),
        (b'{"rows": ["A1;1"]}', "line 2: a row must be an object of column names and values"),
        (b'{"data": [{"closing": "1"}], "period": "2026-10"}', "no `rows` array of rows in the JSON object (its keys: data, period)"),
        (b'{"rows": [{"closing": "1"}]} {"x"', "line 2: malformed JSON: parse error: trailing garbage"),
        ('{"rows": [{"street": "вул. Свободи"}]}'.encode("cp1251"), "line 2: the JSON text is not valid UTF-8"),
        (b'{"rows": [{"payer": "a\\u0000b"}]}', "line 2, column payer: the value holds a NUL character"),
    ],
)  # fmt: skip
def test_json_refusals_name_line_column_and_reason(data, reason):
    assert refusal(data, name="x.json") == reason


def _dbf(fields, records, *, driver: int, encoding: str) -> bytes:
    """A dBase III file with the given language-driver byte, records given as text."""
    header_len, record_len = 32 + 32 * len(fields) + 1, 1 + sum(w for _, _, w in fields)
    out = bytearray(struct.pack("<BBBBIHH", 3, 126, 10, 15, len(records), header_len, record_len))
    out += b"\x00" * 17 + bytes([driver]) + b"\x00\x00"
    for name, kind, width in fields:
        out += (
            name.encode().ljust(11, b"\x00") + kind.encode() + b"\x00" * 4 + bytes([width, 0]) + b"\x00" * 14
        )
    out += b"\r"
    for record in records:
        out += b" " + b"".join(
            (v.encode(encoding) if isinstance(v, str) else v).ljust(w)[:w]
            for v, (_, _, w) in zip(record, fields, strict=True)
        )
    return bytes(out + b"\x1a")


DBF_FIELDS = [("FIO", "C", 30), ("STREET", "C", 30)]


@pytest.mark.parametrize(
    ("driver", "encoding", "read_as"),
    [(0x57, "cp1251", "cp1251"), (0xC9, "cp1251", "cp1251"), (0x26, "cp866", "cp866"), (0x65, "cp866", "cp866"),
     (0, "cp1125", "cp1125"), (0, "cp1251", "cp1251"), (0x26, "cp1125", "cp1125")],
)  # fmt: skip
def test_dbf_language_driver_and_text(driver, encoding, read_as):
    street = "вул. Проскурівська" if encoding != "cp866" else "вул. Проскурiвська"
    data = _dbf(DBF_FIELDS, [["Їжак Євген", street]] * 3, driver=driver, encoding=encoding)
    t, rows = table_of(data, name="x.dbf")
    assert (t.encoding, rows[0][1]) == (read_as, {"fio": "Їжак Євген", "street": street})


def test_dbf_cp866_text_with_zero_driver_byte_is_told_by_its_latin_i():
    data = _dbf(DBF_FIELDS, [["Їжак Євген", "вул. Пiдгiрна"]] * 3, driver=0, encoding="cp866")
    t, rows = table_of(data, name="x.dbf")
    assert (t.encoding, rows[0][1]["fio"]) == ("cp866", "Їжак Євген")


def test_dbf_that_reads_alike_in_cp866_and_cp1125_is_refused_not_guessed():
    """`Єва` in cp866 is `Ґва` in cp1125: with no `і` either way and no language driver, nobody can tell."""
    data = _dbf(DBF_FIELDS, [["Єва Юрченко", "вул. Садова"]], driver=0, encoding="cp866")
    assert refusal(data, name="x.dbf") == (
        "cannot tell the DBF file's code page (cp1125, cp866 or cp1251) with confidence; "
        "set the language-driver byte or re-save it in cp1251"
    )


ASCII_RECORDS = [["Kovalenko Ivan", "vul. Svobody"]] * 5000  # 305,000 bytes: more than the 256 KiB sampled


@pytest.mark.parametrize(
    ("driver", "encoding", "read_as"),
    [(0, "cp1251", "cp1251"), (0, "cp1125", "cp1125"), (0x26, "cp1125", "cp1125"), (0, "cp866", "cp866")],
)
def test_dbf_code_page_is_told_from_records_with_text_beyond_the_first_256_kib(driver, encoding, read_as):
    """Records of Latin letters only tell no code page: the first records that hold a non-ASCII byte do,
    however far into the file they come."""
    street = "вул. Проскурівська" if encoding != "cp866" else "вул. Проскурiвська"
    data = _dbf(DBF_FIELDS, ASCII_RECORDS + [["Їжак Євген", street]] * 3, driver=driver, encoding=encoding)
    t, rows = table_of(data, name="x.dbf")
    assert (t.encoding, len(rows), rows[-1]) == (
        read_as,
        5003,
        (5004, {"fio": "Їжак Євген", "street": street}),
    )


def test_dbf_that_reads_alike_in_cp866_and_cp1125_beyond_the_first_256_kib_is_refused_not_guessed():
    data = _dbf(DBF_FIELDS, ASCII_RECORDS + [["Єва Юрченко", "вул. Садова"]], driver=0, encoding="cp866")
    assert refusal(data, name="x.dbf") == (
        "cannot tell the DBF file's code page (cp1125, cp866 or cp1251) with confidence; "
        "set the language-driver byte or re-save it in cp1251"
    )


def test_dbf_of_ascii_text_only_is_read():
    data = _dbf(DBF_FIELDS, ASCII_RECORDS[:3], driver=0, encoding="ascii")
    assert table_of(data, name="x.dbf")[1][0] == (2, {"fio": "Kovalenko Ivan", "street": "vul. Svobody"})


def test_dbf_duplicate_field_refused():
    data = _dbf([("LS", "C", 5), ("LS", "C", 5)], [["A1", "A2"]], driver=0x57, encoding="cp1251")
    assert refusal(data, name="x.dbf") == "column LS: field LS appears twice in the DBF header"


@pytest.mark.parametrize(
    ("fields", "dbf_fields", "reason"),
    [
        # a field the map gives a column, and another field named as that column
        ([("LS", "C", 5), ("ACCOUNT", "C", 5)], {"LS": "account"},
         "column account: fields LS and ACCOUNT are both read as column 'account'"),
        # two fields the map gives one column (a decisions file's TAX_ID and IDCODE)
        ([("TAX_ID", "C", 10), ("FIO", "C", 5), ("IDCODE", "C", 10)], {"TAX_ID": "tax_id", "IDCODE": "tax_id"},
         "column tax_id: fields TAX_ID and IDCODE are both read as column 'tax_id'"),
        # one field name in two cases: one column after case folding, with a map or without one
        ([("LS", "C", 5), ("ls", "C", 5)], {"LS": "account"},
         "column account: fields LS and ls are both read as column 'account'"),
        ([("Fio", "C", 5), ("FIO", "C", 5)], {},
         "column fio: fields Fio and FIO are both read as column 'fio'"),
    ],
)  # fmt: skip
def test_dbf_fields_read_as_one_column_are_refused_naming_both(fields, dbf_fields, reason):
    """Two fields that give one column would silently overwrite each other: nobody can tell which is meant."""
    data = _dbf(fields, [["A1", "A2", "A3"][: len(fields)]], driver=0x57, encoding="cp1251")
    assert refusal(data, name="x.dbf", dbf_fields=dbf_fields) == reason


def test_dbf_fields_with_a_map_that_gives_each_its_own_column_are_read():
    data = _dbf([("LS", "C", 5), ("ACCOUNT2", "C", 5)], [["A1", "A2"]], driver=0x57, encoding="cp1251")
    t, rows = table_of(data, name="x.dbf", dbf_fields={"LS": "account"})
    assert (t.columns, rows) == (["account", "account2"], [(2, {"account": "A1", "account2": "A2"})])


def test_dbf_text_ends_at_its_first_nul_byte():
    """Legacy writers end a C string with NUL and leave garbage after it: the text is what precedes."""
    data = _dbf(
        DBF_FIELDS,
        [["Коваль".encode("cp1251") + b"\x00\x07\xff\xff", "вул. Свободи"]],
        driver=0x57,
        encoding="cp1251",
    )
    assert table_of(data, name="x.dbf")[1] == [(2, {"fio": "Коваль", "street": "вул. Свободи"})]


@pytest.mark.parametrize("dimension", [b'<dimension ref="A1"/>', b'<dimension ref="A1:B2"/>'])
def test_xlsx_rows_and_columns_beyond_a_wrong_dimension_are_read(dimension):
    """Some writers put a stale `<dimension>` in the sheet: it is a hint, the cells are the sheet."""
    import re

    data = workbook(
        [["account", "service", "closing"], ["A1", "water", 1], ["A2", "water", 2], ["A3", "heat", 3]]
    )
    data = workbook_part_changed(data, SHEET, lambda xml: re.sub(rb"<dimension [^>]*>", dimension, xml))
    t, rows = table_of(data, name="x.xlsx")
    assert t.columns == ["account", "service", "closing"]
    assert rows == [
        (2, {"account": "A1", "service": "water", "closing": "1"}),
        (3, {"account": "A2", "service": "water", "closing": "2"}),
        (4, {"account": "A3", "service": "heat", "closing": "3"}),
    ]


def test_xlsx_rows_of_blank_cells_are_skipped_like_blank_csv_lines():
    data = workbook([[" ", None], ["account", "closing"], ["A1", 1], ["  ", " "], [None, "\t"], ["A2", 2]])
    t, rows = table_of(data, name="x.xlsx")
    assert (t.header_line, rows) == (
        2,
        [(3, {"account": "A1", "closing": "1"}), (6, {"account": "A2", "closing": "2"})],
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda xml: xml.replace(b"</sheetData>", b"<row r='9'><c r='A9'><v>1</v></row></sheetData>"),
         "line 4: not a readable XLSX workbook: the sheet's XML is malformed after row 3 (mismatched tag: line 1, column"),
        (lambda xml: xml[: len(xml) // 2],
         "not a readable XLSX workbook: the sheet's XML is malformed (unclosed token: line 1, column"),
    ],
)  # fmt: skip
def test_xlsx_with_a_malformed_sheet_is_refused_not_a_crash(change, reason):
    data = workbook([["account", "closing"], ["A1", 1], ["A2", 2]])
    assert refusal(workbook_part_changed(data, SHEET, change), name="x.xlsx").startswith(reason)


def test_xlsx_with_malformed_parts_or_damaged_compressed_data_is_refused_not_a_crash():
    data = workbook([["account", "closing"], ["A1", 1], ["A2", 2]])
    for part in ("xl/workbook.xml", "xl/styles.xml"):
        junk = workbook_part_changed(data, part, lambda _: b"<junk")
        assert refusal(junk, name="x.xlsx").startswith("not a readable XLSX workbook: ")
    damaged = bytearray(data)
    at = damaged.find(b"xl/worksheets/sheet1.xml") + 60  # inside the sheet's compressed data
    damaged[at : at + 20] = b"\x00" * 20
    assert refusal(bytes(damaged), name="x.xlsx").startswith("not a readable XLSX workbook: ")


SNAPSHOT_DBF = [("LS", "C", 5), ("STREET", "C", 30), ("SALDO_N", "N", 10), ("DATA", "D", 8)]


def test_dbf_with_more_records_than_its_header_announces_is_refused_not_cut_short():
    """A stale record count would silently drop the records after it (a snapshot would close their accounts)."""
    records = [["A1", "вул. Свободи", "1.00", "20261001"], ["A2", "вул. Свободи", "2.00", "20261001"]]
    data = bytearray(_dbf(SNAPSHOT_DBF, records, driver=0x57, encoding="cp1251"))
    data[4:8] = struct.pack("<I", 1)
    assert refusal(bytes(data), name="x.dbf") == (
        "the DBF header announces 1 records, but the file holds 2: its record count is stale"
    )
    # what follows the records is the end-of-file mark, nothing at all, or padding that is no record
    for tail in (b"\x1a", b"", b"\x1a\x00\x00", b"\x00" * 100):
        whole = _dbf(SNAPSHOT_DBF, records, driver=0x57, encoding="cp1251")[:-1] + tail
        assert [line for line, _ in table_of(whole, name="x.dbf")[1]] == [2, 3]


def test_dbf_without_a_last_update_date_is_still_dbf():
    data = bytearray(
        _dbf(SNAPSHOT_DBF, [["A1", "вул. Свободи", "1.00", "20261001"]], driver=0x57, encoding="cp1251")
    )
    data[1:4] = b"\x00\x00\x00"
    t, rows = table_of(bytes(data), name="x.dbf")
    assert (t.format, rows) == (
        "dbf",
        [(2, {"ls": "A1", "street": "вул. Свободи", "saldo_n": "1.00", "data": "2026-10-01"})],
    )


def test_dbf_number_and_date_fields_filled_with_nul_bytes_are_empty():
    """Some writers leave an empty N or D field as NUL bytes rather than spaces."""
    data = _dbf(
        SNAPSHOT_DBF, [["A1", "вул. Свободи", b"\x00" * 10, b"\x00" * 8]], driver=0x57, encoding="cp1251"
    )
    assert table_of(data, name="x.dbf")[1] == [
        (2, {"ls": "A1", "street": "вул. Свободи", "saldo_n": "", "data": ""})
    ]


def test_dbf_date_field_that_is_no_date_is_left_to_its_column_not_refusing_the_file():
    """A malformed date in a column the import may not even read is no reason to refuse every row."""
    data = _dbf(SNAPSHOT_DBF, [["A1", "вул. Свободи", "1.00", "31.10.26"]], driver=0x57, encoding="cp1251")
    assert table_of(data, name="x.dbf")[1] == [
        (2, {"ls": "A1", "street": "вул. Свободи", "saldo_n": "1.00", "data": "31.10.26"})
    ]


def test_xlsx_compressed_by_a_method_python_cannot_read_is_refused_not_a_crash():
    """A zip tool's Deflate64 (method 9) or an encrypted part: zipfile raises NotImplementedError/RuntimeError."""
    data = bytearray(workbook([["account", "closing"], ["A1", 1]]))
    name = b"xl/worksheets/sheet1.xml"
    for signature, method_at, name_at in ((b"PK\x03\x04", 8, 30), (b"PK\x01\x02", 10, 46)):
        at = data.find(signature)
        while at >= 0:
            if data[at + name_at : at + name_at + len(name)] == name:
                data[at + method_at : at + method_at + 2] = struct.pack("<H", 9)
            at = data.find(signature, at + 4)
    assert refusal(bytes(data), name="x.xlsx") == (
        "not a readable XLSX workbook: That compression method is not supported"
    )


def test_json_whole_numbers_read_as_their_digits_as_in_a_spreadsheet():
    """A writer that keeps numbers as floats writes account 1234567 as `1234567.0`: the same account as
    an XLSX number cell 1234567, or a house `12.0` that is house 12."""
    data = b'{"rows": [{"account": 1234567.0, "house": 12.0, "apartment": 5.00, "closing": 100.0, "paid": 1.50}]}'
    _, rows = table_of(data, name="x.json")
    assert rows == [
        (2, {"account": "1234567", "house": "12", "apartment": "5", "closing": "100", "paid": "1.50"})
    ]


def test_csv_row_with_more_fields_than_the_header_is_refused_or_given_as_a_row_fault():
    """An unquoted delimiter inside a value (`вул. Свободи, 12` in a comma-separated file) breaks one row."""
    data = "account,street,closing\nA1,вул. Свободи,1\nA2,вул. Свободи, 12,2\nA3,вул. Свободи,3\n".encode()
    assert (
        refusal(data)
        == "line 3: 4 fields where the header has 3 (a delimiter inside a value that is not quoted?)"
    )
    with open_table(io.BytesIO(data), name="x.csv", row_faults=True) as t:
        rows = list(t.rows)
        assert t.row_faults == [
            (3, "", "4 fields where the header has 3 (a delimiter inside a value that is not quoted?)")
        ]
    assert rows == [
        (2, {"account": "A1", "street": "вул. Свободи", "closing": "1"}),
        (3, {"account": "A2", "street": "вул. Свободи", "closing": "12"}),
        (4, {"account": "A3", "street": "вул. Свободи", "closing": "3"}),
    ]


def test_json_rows_broken_on_their_own_are_given_as_row_faults():
    data = (
        b'{"rows": [{"account": "A1", "payer": {"surname": "X", "n": [1, {"a": 2}]}, "closing": "1"},'
        b' {"account": "A2", "closing": "1", "closing": "2"}, "A3;3", [1, [2]],'
        b' {"account": "A\\u00005", "closing": "5"}, {"account": "A6", "closing": "6"}], "period": "2026-10"}'
    )
    with open_table(io.BytesIO(data), name="x.json", row_faults=True) as t:
        rows = list(t.rows)
        assert t.row_faults == [
            (2, "payer", "a value must be a text or a number, not an object"),
            (3, "closing", "the key 'closing' appears twice in the row"),
            (4, "", "a row must be an object of column names and values"),
            (5, "", "a row must be an object of column names and values"),
            (6, "account", "the value holds a NUL character"),
        ]
    assert rows == [
        (2, {"account": "A1", "closing": "1"}),
        (3, {"account": "A2", "closing": "2"}),
        (4, {}),
        (5, {}),
        (6, {"account": "A5", "closing": "5"}),
        (7, {"account": "A6", "closing": "6"}),
    ]
    assert t.metadata == {"period": "2026-10"}


def test_dbf_character_field_longer_than_255_as_clipper_writes_it():
    """Clipper (and Harbour) store a C field's length above 255 with its high byte in the decimal count."""
    fio = "Коваленко " * 30  # 300 characters
    data = bytearray(
        _dbf(
            [("LS", "C", 5), ("FIO", "C", 44)],
            [["A1", fio.encode("cp1251")[:44]]],
            driver=0x57,
            encoding="cp1251",
        )
    )
    # widen FIO to 300 (44 + 256): length byte 44, high byte 1 where dBase keeps the decimal count
    header_len, record_len = 32 + 32 * 2 + 1, 1 + 5 + 300
    data[10:12] = struct.pack("<H", record_len)
    data[32 + 32 + 17] = 1
    data = data[:header_len] + b" " + b"A1".ljust(5) + fio.encode("cp1251") + b"\x1a"
    assert table_of(bytes(data), name="x.dbf")[1] == [(2, {"ls": "A1", "fio": fio.strip()})]


@pytest.mark.parametrize(
    "tail",
    [b"\r\n\x1a", b"\x1a", b"\r\n\x1a\x1a\x1a", b"\n\x1a"],
    ids=["after-crlf", "after-the-last-value", "several", "after-lf"],
)
def test_csv_ending_with_the_dos_end_of_file_mark_has_no_extra_row(tail):
    """Legacy DOS software ends a text file with Ctrl-Z (0x1A): the end of the file, not a row or a value."""
    data = "account;closing\r\nA1;1,50\r\nA2;2,00".encode("cp1251") + tail
    _, rows = table_of(data)
    assert rows == [(2, {"account": "A1", "closing": "1,50"}), (3, {"account": "A2", "closing": "2,00"})]
    with open_table(io.BytesIO(data), name="x.csv") as t:
        assert list(t.records or []) == [(2, ["A1", "1,50"]), (3, ["A2", "2,00"])]


def test_csv_of_nothing_but_blank_lines_and_the_end_of_file_mark_is_empty():
    assert refusal(b"\r\n\x1a") == "the file is empty"
    assert refusal(b"\x1a") == "the file is empty"
    assert table_of(b"account;closing\r\n\x1a")[1] == []  # a header alone: no rows


def test_csv_ctrl_z_anywhere_but_at_the_end_stays_in_the_text():
    data = b"account;closing\nA\x1a1;1\nA2;2\x1a\n"
    assert table_of(data)[1] == [
        (2, {"account": "A\x1a1", "closing": "1"}),
        (3, {"account": "A2", "closing": "2\x1a"}),
    ]


def test_a_sheet_s_dimension_is_looked_for_only_before_its_data():
    """openpyxl parsed a sheet without `<dimension>` whole before reading its first row; the search
    now stops where the data starts, and finds the same dimension as before when there is one."""
    import openpyxl
    from openpyxl.worksheet._reader import WorkSheetParser

    from merezha.formats.readers import _dimensions_before_the_data

    with_dimension = zipfile.ZipFile(io.BytesIO(workbook([["account", "closing"], ["A1", 1], ["A2", 2]])))
    parser = WorkSheetParser(io.BytesIO(with_dimension.read("xl/worksheets/sheet1.xml")), [])
    assert _dimensions_before_the_data(parser) == (1, 1, 2, 3)

    # a sheet with no dimension, whose data would make a parse to its end fail
    sheet = (
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c t="inlineStr"><is><t>account</t></is></c></row><row r="2"><unclosed>'
    )
    assert _dimensions_before_the_data(WorkSheetParser(io.BytesIO(sheet), [])) is None

    book = openpyxl.Workbook(write_only=True)  # writes no <dimension>
    ws = book.create_sheet()
    for row in (["account", "closing"], ["A1", 1], ["A2", 2.5]):
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    assert b"<dimension" not in zipfile.ZipFile(io.BytesIO(out.getvalue())).read("xl/worksheets/sheet1.xml")
    _, rows = table_of(out.getvalue(), name="x.xlsx")
    assert rows == [(2, {"account": "A1", "closing": "1"}), (3, {"account": "A2", "closing": "2.5"})]
