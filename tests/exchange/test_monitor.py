import csv
import datetime as dt
import io
import re

import pytest
from django.utils import timezone

from merezha.exchange.selectors import exchange_monitor
from merezha.registers.services import days_close
from tests.payments.conftest import at
from tests.settlements.conftest import city, closed_day  # noqa: F401  (fixtures of the settlement line)

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh(world):
    """Both providers' snapshots applied today; every point's day closed."""
    from merezha.providers.models import Snapshot

    Snapshot.objects.filter(provider__in=world.providers.values()).update(applied_at=timezone.now())
    return world


def _row(code, **filters):
    return next(r for r in exchange_monitor(**filters) if r.code == code)


def test_unacknowledged_register_is_amber_then_red_and_green_after_acknowledgement(
    client, fresh, pay, make_user
):
    pay({"water": "100.00"}, when=at("2026-11-02", 10))
    register = next(r for r in days_close(day=dt.date(2026, 11, 2)).registers if r.provider.code == "water")
    doc = register.document
    assert _row("water").state == "amber"
    assert _row("water").problems == [("unacknowledged", {"count": 1})]
    assert _row("heat").state == "green"
    # after EXCHANGE_ACK_LATE_DAYS it is red
    later = doc.created_at + dt.timedelta(days=4)
    assert _row("water", now=later).state == "red"
    assert _row("water", now=later).problems == [("overdue", {"count": 1, "days": 3})]

    admin = make_user("admin")
    client.force_login(admin)
    page = client.get("/exchange/monitor/").content.decode()
    assert 'data-code="water" data-state="amber"' in page

    provider = make_user("provider", organisation=fresh.providers["water"])
    client.force_login(provider)
    assert client.post(f"/inbox/{doc.pk}/acknowledge/").status_code == 302
    assert _row("water").state == "green"
    assert _row("water", now=later).state == "green"
    client.force_login(admin)
    assert 'data-code="water" data-state="green"' in client.get("/exchange/monitor/").content.decode()


def test_problems_unclosed_days_failed_imports_and_late_snapshots(fresh, pay, make_org):
    from merezha.providers.models import Snapshot

    pay({"heat": "10.00"}, point=1, when=at("2026-11-02", 10))  # P-02's Nov 2 stays open
    Snapshot.objects.create(
        provider=fresh.providers["heat"], status=Snapshot.Status.REJECTED, file_name="heat.csv",
        report={"errors": [{"line": 7, "column": "closing", "reason": "not an amount: 12,3.4"}]},
    )  # fmt: skip
    make_org("provider", code="gas")
    rows = {r.code: r for r in exchange_monitor(now=at("2026-11-04", 12))}
    assert rows["P-02"].state == "red"
    assert rows["P-02"].open_days == [dt.date(2026, 11, 2)]
    assert rows["P-02"].problems == [("day_open", {"count": 1, "first": "2026-11-02"})]
    assert rows["P-01"].state == "green"
    assert rows["heat"].state == "red"
    assert [(f.file_name, f.reasons) for f in rows["heat"].failed_imports] == [
        ("heat.csv", ["line 7: not an amount: 12,3.4"])
    ]
    assert rows["gas"].problems == [("no_snapshot", {})]
    assert [r.code for r in exchange_monitor(now=at("2026-11-04", 12), state="red", kind="provider")] == [
        "gas",
        "heat",
    ]
    assert [r.code for r in exchange_monitor(q="P-0")] == ["P-01", "P-02"]


def test_monitor_csv_and_who_may_see_it(client, fresh, make_user, ukrainian):
    for role in ("admin", "manager"):
        client.force_login(make_user(role))
        assert client.get("/exchange/monitor/").status_code == 200
        response = client.get("/exchange/monitor.csv?kind=provider")
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
        assert rows[0] == [
            "Код", "Організація", "Вид", "Стан", "Проблеми", "Останній зріз", "Останній застосований зріз",
            "Відставання зрізу, днів", "Останній реєстр", "Останній підтверджений реєстр",
            "Останній звіт про зміни отримано", "Останнє рішення отримано", "Останнє надіслане",
            "Не підтверджено", "Прострочено", "Невдалі імпорти", "Незакриті дні",
        ]  # fmt: skip
        assert [(r[0], r[2], r[3]) for r in rows[1:]] == [
            ("heat", "Постачальник послуг", "зелений"),
            ("water", "Постачальник послуг", "зелений"),
        ]
        applied = rows[1][6]
        assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}", applied), applied
        assert client.get("/exchange/charts/").status_code == 200
    for role in ("provider", "cashier", "housing", "subsidy"):
        client.force_login(make_user(role))
        for url in ("/exchange/monitor/", "/exchange/monitor.csv", "/exchange/charts/", "/exchange/jobs/"):
            assert client.get(url).status_code == 403, (role, url)
    client.force_login(make_user("manager"))
    assert client.get("/exchange/jobs/").status_code == 403
    client.force_login(make_user("admin"))
    assert client.get("/exchange/jobs/").status_code == 200


def test_charts_are_svg_drawn_on_the_server(client, fresh, pay, make_user):
    pay({"water": "100.00", "heat": "50.00"}, when=at("2026-11-02", 10))
    pay({"water": "30.00"}, point=1, when=at("2026-11-03", 10))
    client.force_login(make_user("manager"))
    page = client.get("/exchange/charts/?from=2026-11-01&to=2026-11-03").content.decode()
    assert page.count("<svg") == 4
    assert re.findall(r"<script[^>]*>", page) == [
        '<script src="/static/core/site.js" defer>'
    ]  # the site's own
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "02.11 · water: 100,00</title>" in page
    assert "P-01: 150,00</title>" in page
    assert client.get("/exchange/charts/?from=2026-11-05&to=2026-11-01").status_code == 400


def test_a_providers_settlement_orders_unmatched_by_the_bank_show_on_the_monitor(city, closed_day):  # noqa: F811
    """The monitor's settlement line: an order with no credit is red, a credit short by 0.01 amber."""
    from merezha.exchange.selectors import exchange_monitor
    from merezha.settlements.services import statement_import
    from tests.settlements.conftest import DAY, iban
    from tests.settlements.test_services import _orders, _statement_from_orders

    orders = _orders()
    missing = orders[("VODA", "P002", city.ibans["VODA:sewer"])]
    short = orders[("TEPLO", "POST", city.ibans["TEPLO:heat"])]
    statement_import(
        data=_statement_from_orders(
            city, drop=missing.end_to_end_id, short=short.end_to_end_id, extra_payer=iban(99)
        ),
        name="stmt.xml",
    )
    now = timezone.make_aware(dt.datetime.combine(DAY + dt.timedelta(days=5), dt.time(9)))
    rows = {r.code: r for r in exchange_monitor(now=now, kind="provider")}
    assert [p for p in rows["VODA"].problems if p[0].startswith("settlement")] == [
        ("settlement_missing", {"count": 1})
    ]
    assert [p for p in rows["TEPLO"].problems if p[0].startswith("settlement")] == [
        ("settlement_partial", {"count": 1})
    ]
    assert rows["VODA"].state == "red"


def test_a_problem_reads_with_its_figures_as_pages_show_them(ukrainian):
    from merezha.exchange.views import problem_text

    assert problem_text("day_open", {"count": 1, "first": "2026-11-02"}) == problem_text(
        "day_open", {"count": 1, "first": dt.date(2026, 11, 2)}
    )
    assert problem_text("day_open", {"count": 1204, "first": "2026-11-02"}) == (
        "незакритих днів: 1\u202f204, з 02.11.2026"
    )
