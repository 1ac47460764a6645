"""The synthetic city: deterministic, every register format applied, users for every role."""

import datetime as dt
import hashlib
import random

import pytest
from django.core.management import call_command

from merezha.core.roles import Role
from merezha.demo.seed import (
    IBANS,
    SCALES,
    build_city,
    seed_city,
    write_registry_files,
    write_snapshot_files,
)
from merezha.organisations.models import User
from merezha.registry.models import Dwelling, Person, RegistryImport, Street, StreetName

pytestmark = pytest.mark.django_db

#: the tiny city of seed 7 (see assert_a_believable_past)
UNKNOWN_DATES = 18
CHANGES = {"arrived": 73, "born": 1, "left": 21}
ABSENCES = 8
RECALCULATION_ROWS = (11, 195778)  # rows of ZHEK-01's rent recalculation, and their total in kopecks
REPORTS_WITH_LINES = 12


def digest(folder):
    h = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        h.update(path.name.encode())
        if path.suffix != ".xlsx":  # XLSX zips carry timestamps
            h.update(path.read_bytes())
    return h.hexdigest()


def test_tiny_city(tmp_path):
    result = seed_city(scale_name="tiny", seed=7, folder=tmp_path / "a", today=dt.date(2026, 11, 1))
    assert result.figures["dwellings"] == Dwelling.objects.count() == 400
    assert result.figures["persons"] == Person.objects.filter(is_active=True).count()
    assert Street.objects.count() == 12
    assert StreetName.objects.filter(name="Комсомольська").exists()
    # each office's register a year ago and today
    assert sorted(RegistryImport.objects.values_list("file_format", flat=True)) == [
        *["csv"] * 2,
        *["dbf"] * 2,
        *["json"] * 2,
        *["xlsx"] * 2,
    ]
    assert {u.role for u in User.objects.all()} == set(Role.values)
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert (
        "streets.csv" in files
        and "snapshot-water-2026-10.csv" in files
        and "snapshot-heat-2026-09.dbf" in files
    )
    assert {
        "registry-ZHEK-01-2025-11-01.csv",
        "registry-ZHEK-02-2025-11-01.dbf",
        "registry-ZHEK-03.xlsx",
    } <= set(files)
    assert_a_believable_past(result)
    assert_payment_details(tmp_path)
    with pytest.raises(ValueError, match="already has a city"):
        seed_city(scale_name="tiny", seed=7, folder=tmp_path / "b")


def assert_a_believable_past(result):
    """Registrations over years, history from later registers, twelve months of rent, absences and
    the housing office's recalculation, change reports; certificates print the registration dates."""
    from django.template.loader import render_to_string

    from merezha.housing import services
    from merezha.housing.models import Absence, ChangeReport
    from merezha.housing.reports import rent_recalculation
    from merezha.organisations.models import Organisation
    from merezha.providers.models import AccountPeriod
    from merezha.registry.models import RegisterChange

    active = Person.objects.filter(is_active=True)
    years = sorted(
        {d.year for d in active.exclude(registered_from=None).values_list("registered_from", flat=True)}
    )
    assert (years[0] <= 1995, years[-1]) == (True, 2026)
    assert active.filter(registered_from=None).count() == UNKNOWN_DATES
    # the first register of each office is its starting state: nothing before the second file
    assert not RegisterChange.objects.filter(
        recorded_at__isnull=False, effective_date__lt=dt.date(2025, 11, 2)
    ).exists()
    kinds = {kind: RegisterChange.objects.filter(kind=kind).count() for kind in ("arrived", "born", "left")}
    assert kinds == CHANGES
    assert sorted(
        str(p)[:7]
        for p in AccountPeriod.objects.filter(account__service__code="rent")
        .values_list("period", flat=True)
        .distinct()
    ) == [f"2025-{m}" for m in ("11", "12")] + [f"2026-{m:02d}" for m in range(1, 11)]
    assert (result.figures["absences"], Absence.objects.count()) == (ABSENCES, ABSENCES)
    office = Organisation.objects.get(code="ZHEK-01")
    rows = rent_recalculation(office=office, month_from=dt.date(2025, 11, 1), month_to=dt.date(2026, 10, 1))
    assert len(rows) == RECALCULATION_ROWS[0]
    assert sum(r.amount.kopecks for r in rows) == RECALCULATION_ROWS[1]
    assert all(r.charge is not None and r.amount.kopecks > 0 for r in rows)
    assert (result.figures["change_reports"], ChangeReport.objects.count()) == (24, 24)
    assert ChangeReport.objects.filter(line_count__gt=0).count() == REPORTS_WITH_LINES
    # a family composition certificate prints the registration dates the register holds
    person = active.exclude(registered_from=None).filter(dwelling__office=office).order_by("id").first()
    cert = services.family_composition_issue(office=office, dwelling_id=person.dwelling_id, user=None)
    row = next(
        x for x in cert.payload["persons"] if x["registered_from"] == person.registered_from.isoformat()
    )
    html = render_to_string(
        "housing/certificate_family.html", {"cert": cert, "p": cert.payload, "verify_url": "", "qr": ""}
    )
    assert f"<td>{row['name']}</td>" in html and f"{person.registered_from:%d.%m.%Y}</td>" in html


def assert_payment_details(tmp_path):
    """Providers' ЄДРПОУ and per-service IBANs, operators' collecting IBANs, organisation
    administrators; a demo bill's NBU QR codes, decoded, pay the provider's IBAN."""
    from schwifty import IBAN
    from stdnum.ua import edrpou

    from merezha.organisations.models import Organisation, ProviderService
    from merezha.portal import nbu_qr, selectors, services
    from merezha.providers.models import Account
    from tests.portal.test_bills import decode_pdf

    providers = dict(Organisation.objects.filter(kind="provider").values_list("code", "edrpou"))
    assert providers == {
        "electricity": "33561457",
        "gas": "33561389",
        "heat": "33561174",
        "rent": "33561242",
        "waste": "33561310",
        "water": "33561106",
    }
    assert all(edrpou.is_valid(code) for code in providers.values())
    assert {
        (ps.provider.code, ps.service.code): ps.iban
        for ps in ProviderService.objects.select_related("provider", "service")
    } == IBANS
    assert len(IBANS) == 9 and all(str(IBAN(iban).compact) == iban for iban in IBANS.values())
    assert {
        code: (iban, edrpou_code)
        for code, iban, edrpou_code in Organisation.objects.filter(kind="payment_operator").values_list(
            "code", "iban", "edrpou"
        )
    } == {
        "OSCHAD": ("UA693004652902001000021560005", "21560005"),
        "PRIVAT": ("UA103052992902003000021560269", "21560269"),
        "UKRPOSHTA": ("UA863004652902002000021560134", "21560134"),
    }
    assert sorted(User.objects.filter(is_org_admin=True).values_list("username", "role")) == [
        ("cashier001", "cashier"),
        ("water", "provider"),
        ("zhek01", "housing"),
    ]
    water = Account.objects.filter(service__code="water", closing__gt=0).order_by("pk").first()
    (bill,) = selectors.bills_build(dwelling_ids=[water.dwelling_id])
    assert len(bill.lines) >= 5 and all(line.qr_url for line in bill.lines)
    texts = decode_pdf(services.bill_pdf(dwelling_ids=[water.dwelling_id], layout="a4x2"), tmp_path)
    urls = [t for t in texts if t.startswith("https://bank.gov.ua/qr/")]
    assert sorted(urls) == sorted(line.qr_url for line in bill.lines)  # every code, printed and read back
    line = next(x for x in bill.lines if x.account_id == water.pk)
    fields = nbu_qr.payment_decode(line.qr_url)
    assert fields[5:9] == [
        "КП «Хмельницькводоканал»",
        "UA193004652600010100033561106",
        f"UAH{line.debt.kopecks // 100}.{line.debt.kopecks % 100:02d}",
        "33561106",
    ]
    assert fields[11] == f"Оплата за водопостачання, о/р {water.number}, {line.period:%m.%Y}"


def test_files_deterministic_for_a_seed(tmp_path):
    today = dt.date(2026, 11, 1)
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        city = build_city(SCALES["tiny"], 3, folder, today)
        rng = random.Random(3)
        write_registry_files(city, rng, today)
        write_snapshot_files(city, rng, [dt.date(2026, 9, 1), dt.date(2026, 10, 1)])
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


def test_demo_command_prints_users(tmp_path, settings, capsys):
    settings.HOME = tmp_path
    call_command("demo", "--no-serve", "--scale", "tiny")
    out = capsys.readouterr().out
    for username in ("admin", "cashier001", "zhek01", "water", "subsidy", "manager"):
        assert username in out
    admins = sorted(
        line.split()[0] for line in out.splitlines() if line.endswith("[organisation administrator]")
    )
    assert admins == ["cashier001", "water", "zhek01"]
    assert "password for all: merezha" in out


def test_demo_serves_with_a_task_worker_beside_it_and_stops_it(tmp_path, settings, monkeypatch, capsys):
    import signal
    import subprocess
    import sys

    from merezha.demo.management.commands import demo

    settings.HOME = tmp_path
    started: list[list[str]] = []
    events: list[str] = []

    class Worker:
        pid = 4242

        def __init__(self, args, **kwargs):
            started.append(args)

        def terminate(self):
            events.append("terminate")

        def wait(self, timeout):
            events.append(f"wait {timeout}")
            raise subprocess.TimeoutExpired("db_worker", timeout)

        def kill(self):
            events.append("kill")

    real_call_command = demo.call_command

    def fake_call_command(name, *args, **kwargs):
        if name == "runserver":
            events.append(f"runserver {args[0]}")
            raise KeyboardInterrupt  # the operator stops the demo
        return real_call_command(name, *args, **kwargs)

    monkeypatch.setattr(demo.subprocess, "Popen", Worker)
    monkeypatch.setattr(demo.signal, "signal", lambda signum, handler: events.append(f"signal {signum}"))
    monkeypatch.setattr(demo, "call_command", fake_call_command)
    with pytest.raises(KeyboardInterrupt):
        call_command("demo", "--scale", "tiny", "--addrport", "127.0.0.1:8111")
    assert started == [[sys.executable, "-m", "merezha.cli", "worker", "--no-reload", "--interval", "1"]]
    assert events == [f"signal {signal.SIGTERM}", "runserver 127.0.0.1:8111", "terminate", "wait 10", "kill"]
    assert "background task worker with the scheduler: pid 4242" in capsys.readouterr().out
