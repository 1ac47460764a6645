import pytest

from merezha.exchange.services.scheduler import scheduler_tick
from merezha.organisations.services import api_token_create
from tests.payments.conftest import at

pytestmark = pytest.mark.django_db


def _auth(user):
    return {"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"}


def test_jobs_and_monitor_routes(client, world, pay, make_user, settings):
    settings.EXCHANGE_DAY_CLOSE_CATCH_UP_DAYS = 0
    pay({"water": "10.00"}, when=at("2026-11-02", 10))
    scheduler_tick(now=at("2026-11-02", 22))
    admin = _auth(make_user("admin"))
    jobs = {j["job"]: j for j in client.get("/api/v1/exchange/jobs", headers=admin).json()}
    assert set(jobs) == {"day_close", "change_reports", "reminders"}
    run = jobs["day_close"]["last_run"]
    assert (run["slot"], run["status"], run["result"]["lines"]) == ("2026-11-02", "ok", 1)
    assert jobs["day_close"]["schedule"] == "21:00"

    manager = _auth(make_user("manager"))
    rows = {
        r["code"]: r for r in client.get("/api/v1/exchange/monitor?kind=provider", headers=manager).json()
    }
    assert rows["water"]["unacknowledged"] == 2  # the register of Nov 2 and the change report of October
    assert rows["water"]["problems"][0]["problem"] in ("unacknowledged", "overdue")
    assert client.get("/api/v1/exchange/jobs", headers=manager).status_code == 403
    for role in ("provider", "cashier", "housing", "subsidy"):
        headers = _auth(make_user(role))
        assert client.get("/api/v1/exchange/jobs", headers=headers).status_code == 403
        assert client.get("/api/v1/exchange/monitor", headers=headers).status_code == 403
