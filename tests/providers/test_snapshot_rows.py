"""A snapshot's rows read and checked, in the import's process or in a reader process of their own."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from merezha.formats import FormatError
from merezha.providers import snapshot_rows
from merezha.providers.snapshot_rows import Services, open_checked

CODES = ("water", "sewer", "heat", "hot_water", "rent", "waste")
SERVICES = Services({c: c for c in CODES} | {"хвп": "water"}, {c: i for i, c in enumerate(CODES, 1)})
HEADER = "account;service;street;house;apartment;payer;tax_id;opening;charged;recalc;benefit;subsidy;paid;closing\n"


@pytest.fixture
def in_process(monkeypatch):
    monkeypatch.setattr(snapshot_rows, "READER_PROCESS_MIN_BYTES", 1 << 62)


@pytest.fixture
def reader_process(monkeypatch):
    """Every file, however small, is read in a reader process; the processes started are listed."""
    monkeypatch.setattr(snapshot_rows, "READER_PROCESS_MIN_BYTES", 0)
    started: list[subprocess.Popen[bytes]] = []
    popen = subprocess.Popen

    def spy(*args, **kwargs):
        started.append(popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(snapshot_rows.subprocess, "Popen", spy)
    return started


def read(source, **kw):
    with open_checked(source, services=SERVICES, **kw) as table:
        batches = list(table.batches)
        return (
            (table.name, table.format, table.encoding, table.columns, table.header_line),
            batches,
            table.metadata,
        )


def test_rows_are_staged_as_tuples_with_faults_and_new_addresses(tmp_path, in_process):
    path = tmp_path / "s.csv"
    path.write_text(
        HEADER
        + "A1;water;вул. Свободи;1;2;Коваленко Ірина;;10,00;5,00;0;0,00;0,00;3,00;12,00\n"
        + "A2;ХВП;вул. Свободи;1;2;Коваленко Ірина;1234567890;;;;;;;1 234,56\n"
        + "A3;milk;вул. Свободи;1;3;;;;;;;;;abc\n"
        + "A4;heat;вул. Свободи;1;3;;;1,00;;;;;;2,00\n",
        encoding="utf-8",
    )
    head, batches, metadata = read(str(path))
    assert head == ("s.csv", "csv", "utf-8", HEADER.strip().split(";"), 1)
    assert batches == [
        (
            [
                (2, "A1", 1, 1, "Коваленко Ірина", "коваленко", "", "", 1000, 500, 0, 0, 0, 300, 1200, 0),
                (3, "A2", 1, 1, "Коваленко Ірина", "коваленко", "1234567890",
                 "tax id 1234567890: wrong check digit", None, None, None, None, None, None, 123456, 0),
                (4, "A3", None, None, "", "", "", "", None, None, None, None, None, None, None, 1),
                (5, "A4", 3, None, "", "", "", "", None, None, None, None, None, None, None, 1),
            ],
            [
                (4, "service", "unknown service 'milk': not a network code nor your alias"),
                (4, "closing", "not an amount: 'abc'"),
                (5, "closing", "closing 2.00 does not follow from the period columns: "
                 "opening + charged + recalc − benefit − subsidy − paid = 1.00"),
            ],
            [(1, "вул. Свободи", "1", "2")],
        )
    ]  # fmt: skip
    assert metadata == {}


def test_a_new_batch_every_batch_rows(tmp_path, in_process, monkeypatch):
    monkeypatch.setattr(snapshot_rows, "BATCH_ROWS", 2)
    path = tmp_path / "s.csv"
    rows = [f"A{i};water;вул. Свободи;{i % 2};;;;;;;;;;{i}" for i in range(1, 6)]
    path.write_text("account;service;street;house;apartment;payer;tax_id;opening;charged;recalc;benefit;"
                    "subsidy;paid;closing\n" + "\n".join(rows) + "\n", encoding="utf-8")  # fmt: skip
    _, batches, _ = read(str(path))
    assert [([r[0] for r in b], [a[0] for a in new]) for b, _, new in batches] == [
        ([2, 3], [1, 2]),
        ([4, 5], []),
        ([6], []),
    ]


@pytest.mark.parametrize(
    "sample",
    [
        "snapshot-water-2026-10.csv",
        "snapshot-heat-2026-10.dbf",
        "snapshot-rent-2026-10.xlsx",
        "snapshot-waste-2026-10.json",
        "snapshot-bad-inconsistent.csv",
    ],
)
def test_a_reader_process_gives_what_the_import_process_reads(samples, sample, monkeypatch):
    monkeypatch.setattr(snapshot_rows, "READER_PROCESS_MIN_BYTES", 1 << 62)
    here = read(str(samples / sample))
    monkeypatch.setattr(snapshot_rows, "READER_PROCESS_MIN_BYTES", 0)
    assert read(str(samples / sample)) == here
    with open(samples / sample, "rb") as fh:  # an open file: the process reads it through its descriptor
        assert read(fh, name=sample) == here
    assert here[1] and here[1][0][0]


def test_a_small_file_or_one_without_a_descriptor_is_read_here(samples, monkeypatch):
    started = []
    monkeypatch.setattr(snapshot_rows.subprocess, "Popen", lambda *a, **kw: started.append(a))
    read(str(samples / "snapshot-water-2026-10.csv"))
    monkeypatch.setattr(snapshot_rows, "READER_PROCESS_MIN_BYTES", 0)
    read(io.BytesIO((samples / "snapshot-water-2026-10.csv").read_bytes()), name="x.csv")
    assert started == []


def test_a_file_unreadable_half_way_gives_the_rows_before_then_the_error(tmp_path, reader_process):
    path = tmp_path / "s.csv"
    path.write_text(
        HEADER + "A1;water;вул. Свободи;1;;;;;;;;;;1\n" + 'A2;water;"x"y;1;;;;;;;;;;1\n', encoding="utf-8"
    )
    with open_checked(str(path), services=SERVICES) as table:
        first = next(table.batches)
        with pytest.raises(FormatError) as exc:
            next(table.batches)
    assert [r[0] for r in first[0]] == [2]
    assert str(exc.value) == "line 3: malformed CSV: ';' expected after '\"'"
    assert [p.returncode for p in reader_process] == [0]


def test_a_file_refused_at_once_is_refused_by_the_reader_process_too(tmp_path, reader_process):
    path = tmp_path / "s.csv"
    path.write_bytes(b"%PDF-1.4\n")
    with pytest.raises(FormatError) as exc:
        read(str(path))
    assert str(exc.value) == "not an exchange file: a PDF document, not CSV, XLSX, DBF or JSON"
    assert len(reader_process) == 1 and reader_process[0].returncode == 0


def test_leaving_early_stops_the_reader_process(tmp_path, reader_process, monkeypatch):
    monkeypatch.setattr(snapshot_rows, "BATCH_ROWS", 10)
    path = tmp_path / "s.csv"
    path.write_text(
        HEADER + "".join(f"A{i};water;вул. Свободи;1;;;;;;;;;;1\n" for i in range(5000)), encoding="utf-8"
    )
    with open_checked(str(path), services=SERVICES) as table:
        next(table.batches)
    assert len(reader_process) == 1 and reader_process[0].returncode is not None


def test_a_reader_process_that_dies_is_an_error_not_an_empty_file(tmp_path, reader_process, monkeypatch):
    python = tmp_path / "python3"
    python.write_text("#!/bin/sh\nexit 1\n")
    python.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(python))
    path = tmp_path / "s.csv"
    path.write_text(HEADER + "A1;water;вул. Свободи;1;;;;;;;;;;1\n", encoding="utf-8")
    with pytest.raises(RuntimeError) as exc:
        read(str(path))
    assert str(exc.value) == "the snapshot reader process stopped (exit status 1)"


def test_no_reader_process_where_this_python_cannot_start_one(tmp_path, reader_process, monkeypatch):
    monkeypatch.setattr(sys, "executable", "/usr/bin/uwsgi")
    path = tmp_path / "s.csv"
    path.write_text(HEADER + "A1;water;вул. Свободи;1;;;;;;;;;;1\n", encoding="utf-8")
    assert [r[0] for r in read(str(path))[1][0][0]] == [2]
    assert reader_process == []


def test_an_amount_too_long_for_money_is_a_rejected_row_not_a_crash(tmp_path, in_process):
    import openpyxl

    digits = "1" * 30
    csv_path = tmp_path / "s.csv"
    csv_path.write_text(
        "account;service;street;house;closing\n"
        f"A1;water;вул. Свободи;1;{digits}\n"
        f"A2;water;вул. Свободи;1;-{digits},50\n"
        "A3;water;вул. Свободи;1;1 000 000 000 000 000,00\n",
        encoding="utf-8",
    )
    json_path = tmp_path / "s.json"
    json_path.write_text(
        '{"rows": [{"account": "A1", "service": "water", "street": "вул. Свободи", "house": "1",'
        f' "closing": {digits}.5}},'
        ' {"account": "A2", "service": "water", "street": "вул. Свободи", "house": "1", "closing": 1e999999},'
        ' {"account": "A3", "service": "water", "street": "вул. Свободи", "house": "1", "closing": 12.5}]}',
        encoding="utf-8",
    )
    xlsx_path = tmp_path / "s.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["account", "service", "street", "house", "closing"])
    book.active.append(["A1", "water", "вул. Свободи", "1", 1e300])
    book.save(xlsx_path)
    out_of_range = "amount out of range: 111111111111111111111111111111"
    assert [f for _, faults, _ in read(str(csv_path))[1] for f in faults] == [
        (2, "closing", out_of_range),
        (3, "closing", f"amount out of range: -{digits}.50"),
        (4, "closing", "amount out of range: 1000000000000000.00"),
    ]
    _, batches, _ = read(str(json_path))
    assert [f for _, faults, _ in batches for f in faults] == [
        (2, "closing", f"{out_of_range}.5"),
        (3, "closing", "not an amount: '1E+999999'"),
    ]
    assert [r[-2] for r in batches[0][0]] == [None, None, 1250]
    assert [f for _, faults, _ in read(str(xlsx_path))[1] for f in faults] == [
        (2, "closing", "amount out of range: 1000000000000000052504760255204420248704…"),
    ]


@pytest.mark.parametrize("process", ["in_process", "reader_process"])
def test_a_row_with_more_fields_than_the_header_is_a_rejected_row_not_a_refused_file(
    tmp_path, process, request
):
    request.getfixturevalue(process)
    path = tmp_path / "s.csv"
    path.write_text(
        "account,service,street,house,closing\n"
        "A1,water,вул. Свободи,1,10.00\n"
        "A2,heat,вул. Свободи, 1,1,20.00\n"
        "A3,water,вул. Свободи,2,30.00\n"
        "A4,water,вул. Свободи,3,4,0,0\n",
        encoding="utf-8",
    )
    _, batches, _ = read(str(path))
    reason = "{} fields where the header has 5 (a delimiter inside a value that is not quoted?)"
    assert batches == [
        (
            [
                (2, "A1", 1, 1, "", "", "", "", None, None, None, None, None, None, 1000, 0),
                (3, "A2", 3, None, "", "", "", "", None, None, None, None, None, None, None, 1),
                (4, "A3", 1, 2, "", "", "", "", None, None, None, None, None, None, 3000, 0),
                (5, "A4", 1, None, "", "", "", "", None, None, None, None, None, None, None, 1),
            ],
            [(3, "", reason.format(6)), (5, "", reason.format(7))],
            [(1, "вул. Свободи", "1", ""), (2, "вул. Свободи", "2", "")],
        )
    ]


def test_a_json_row_broken_on_its_own_is_a_rejected_row_not_a_refused_file(tmp_path, in_process):
    path = tmp_path / "s.json"
    path.write_text(
        '{"rows": ['
        '{"account": "A1", "service": "water", "street": "вул. Свободи", "house": "1", "closing": 1},'
        '{"account": "A2", "service": "heat", "street": "вул. Свободи", "house": "1", "payer": ["X"],'
        ' "closing": 2, "closing": 3},'
        '{"account": "A3", "service": "water", "street": "вул. Свободи", "house": "2", "closing": 3}]}',
        encoding="utf-8",
    )
    _, batches, _ = read(str(path))
    assert batches == [
        (
            [
                (2, "A1", 1, 1, "", "", "", "", None, None, None, None, None, None, 100, 0),
                (3, "A2", 3, None, "", "", "", "", None, None, None, None, None, None, None, 1),
                (4, "A3", 1, 2, "", "", "", "", None, None, None, None, None, None, 300, 0),
            ],
            [
                (3, "payer", "a value must be a text or a number, not a list"),
                (3, "closing", "the key 'closing' appears twice in the row"),
            ],
            [(1, "вул. Свободи", "1", ""), (2, "вул. Свободи", "2", "")],
        )
    ]


def test_the_reader_process_is_reaped_at_its_last_word(tmp_path, reader_process):
    """Waited for as soon as it has said `end`, not when the import leaves the block: no zombie while
    the import merges."""
    path = tmp_path / "s.csv"
    path.write_text(HEADER + "A1;water;вул. Свободи;1;;;;;;;;;;1\n", encoding="utf-8")
    with open_checked(str(path), services=SERVICES) as table:
        list(table.batches)
        assert reader_process[0].returncode == 0  # reaped inside the block


_PARENT = """
import sys
from merezha.providers import snapshot_rows
snapshot_rows.READER_PROCESS_MIN_BYTES = 0
snapshot_rows.BATCH_ROWS = 10
services = snapshot_rows.Services({"water": "water"}, {"water": 1})
with snapshot_rows.open_checked(sys.argv[1], services=services) as table:
    next(table.batches)
    print(snapshot_rows._last_reader_pid, flush=True)
    sys.stdin.read()  # waits here, the reader blocked on a full pipe, until killed
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_reader_process_dies_with_its_parent(tmp_path):
    import os
    import signal
    import time
    from pathlib import Path

    path = tmp_path / "s.csv"
    path.write_text(
        HEADER + "".join(f"A{i};water;вул. Свободи;1;;;;;;;;;;1\n" for i in range(200_000)), encoding="utf-8"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )
    assert parent.stdout is not None
    reader = int(parent.stdout.readline())
    assert Path(f"/proc/{reader}").exists()
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{reader}").exists() and "Z" not in _state(reader) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{reader}").exists() or _state(reader) == "Z"


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0].decode()
    except OSError:
        return ""
