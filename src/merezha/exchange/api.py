"""API routes of the exchange, mounted by merezha.api at /api/v1/exchange/.

Who may call what:
- GET /exchange/jobs: an information-centre admin (the scheduled jobs, their last run and result).
- GET /exchange/monitor: an information-centre admin or a manager (the monitor's rows).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from merezha.api_auth import require_role
from merezha.core.roles import Role
from merezha.exchange.selectors import exchange_monitor, job_status_list

router = Router(tags=["exchange"])


class JobRunOut(Schema):
    slot: str
    status: str
    attempts: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    result: dict[str, Any]
    error: str


class JobOut(Schema):
    job: str
    schedule: str
    waiting_slot: str | None
    last_run: JobRunOut | None


class MonitorRowOut(Schema):
    code: str
    name: str
    kind: str
    state: str
    problems: list[dict[str, Any]]
    last_snapshot_applied: dt.datetime | None
    snapshot_lag_days: int | None
    unacknowledged: int
    overdue: int
    failed_imports: int
    open_days: list[dt.date]


@router.get("/exchange/jobs", response=list[JobOut])
def jobs(request: HttpRequest) -> list[dict[str, Any]]:
    """Admin (information centre) only: every scheduled job with its last run and result."""
    require_role(request, Role.ADMIN)
    out = []
    for j in job_status_list():
        last = j.last
        out.append(
            {
                "job": j.name,
                "schedule": j.schedule,
                "waiting_slot": j.next_slot,
                "last_run": None
                if last is None
                else {
                    "slot": last.slot,
                    "status": last.status,
                    "attempts": last.attempts,
                    "started_at": last.started_at,
                    "finished_at": last.finished_at,
                    "result": last.result,
                    "error": last.error,
                },
            }
        )
    return out


@router.get("/exchange/monitor", response=list[MonitorRowOut])
def monitor(request: HttpRequest, kind: str = "", state: str = "", q: str = "") -> list[dict[str, Any]]:
    """Admin (information centre) or manager: the exchange monitor's rows (filters as on the page)."""
    require_role(request, Role.ADMIN, Role.MANAGER)
    return [
        {
            "code": r.code,
            "name": r.name,
            "kind": r.kind,
            "state": r.state,
            "problems": [{"problem": code} | values for code, values in r.problems],
            "last_snapshot_applied": r.last_snapshot_applied,
            "snapshot_lag_days": r.snapshot_lag_days,
            "unacknowledged": r.unacknowledged,
            "overdue": r.overdue,
            "failed_imports": len(r.failed_imports),
            "open_days": r.open_days,
        }
        for r in exchange_monitor(kind=kind, state=state, q=q[:64])
    ]
