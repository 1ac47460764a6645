"""No request to the JSON API answers 500, however malformed.

Two runs over every operation of the API's own OpenAPI schema (/api/v1/openapi.json), through
merezha.wsgi.application (the API's real middleware), on the money loop's small world:

- schemathesis generates requests from the schema (valid and invalid, a bounded budget of cases
  per operation, a fixed seed so that a failure reproduces);
- a sweep sends what a random run rarely draws: a NUL, numbers past 64 bits, absurd dates, long
  and non-ASCII text, in every path and query parameter and every field of a JSON body.

Each request is sent with a token of every role the operation does not refuse outright (403), so
that the parameters reach the code behind the role check. 4xx is fine; 5xx is a defect.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from werkzeug.test import Client

from merezha import wsgi
from merezha.api import api
from merezha.core.roles import Role
from merezha.organisations.services import api_token_create
from tests.payments.conftest import world  # noqa: F401 - the money loop's fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_the_test_connection")]

#: Cases per operation in schemathesis's generated phase (each sent with every allowed role).
FUZZ_EXAMPLES = 8
CONFIG = SchemathesisConfig.from_dict(
    {"seed": 20261207, "generation": {"mode": "all", "max-examples": FUZZ_EXAMPLES}}
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi.application, config=CONFIG)

BIG = "100000000000000000000"
HOSTILE_TEXT = ["\x00", "a\x00b", "%00", "x" * 5000, "ключ ‘’ \u202e", "' OR 1=1 --", " "]
HOSTILE_NUMBERS = [BIG, "-" + BIG, "9223372036854775808", "-9223372036854775809", "1e400", "-1", "0"]
HOSTILE_DATES = ["0001-01-01", "9999-12-31", "10000-01-01", "2026-02-30", "2026-13"]
HOSTILE = HOSTILE_TEXT + HOSTILE_NUMBERS + HOSTILE_DATES
#: ordinary values of path and query parameters, by name (others: "1")
ORDINARY = {"day": "2026-11-02", "day_from": "2026-11-01", "day_to": "2026-11-02", "since_date": "2026-11-01"}
#: an ordinary JSON body of each operation that takes one
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/service-aliases"): {"alias": "Вода", "service": "water"},
    ("POST", "/api/v1/payments"): {"lines": [{"account_id": 1, "amount": "1.00"}], "method": "card"},
    ("POST", "/api/v1/payments/{payment_id}/cancel"): {"reason": "mistake"},
    ("POST", "/api/v1/subsidy/certificates"): {"dwelling_id": 1, "date": "2026-11-02"},
    ("POST", "/api/v1/subsidy/decisions"): {
        "decision": "D-1",
        "tax_id": "1234567890",
        "dwelling_id": 1,
        "period_from": "2026-11",
        "period_to": "2027-04",
        "lines": [{"service": "water", "monthly_amount": "10.00"}],
    },
}
ROLES = [Role.ADMIN, Role.PROVIDER, Role.HOUSING, Role.SUBSIDY, Role.CASHIER, Role.MANAGER]


@pytest.fixture
def tokens(world, make_user) -> dict[str, str]:  # noqa: F811
    """A bearer token of a user of every role (the provider and the cashier those of the world)."""
    organisations = {Role.PROVIDER: world.providers["water"], Role.CASHIER: world.points[0]}
    return {
        role: api_token_create(user=make_user(role, organisation=organisations.get(role)), name="fuzz")[1]
        for role in ROLES
    }


#: (method, path) → the path and query parameters of every operation of the schema
OPERATIONS: dict[tuple[str, str], list[dict[str, Any]]] = {
    (method.upper(), path): [p for p in op.get("parameters", []) if p["in"] in ("path", "query")]
    for path, ops in api.get_openapi_schema()["paths"].items()
    for method, op in ops.items()
}


def _send(client: Client, method: str, url: str, query: dict, body: Any, token: str, key: str) -> int:
    """The status of one request; a server error's failed statement is rolled back, so that on
    PostgreSQL the requests after it still run."""
    kwargs: dict[str, Any] = {
        "query_string": query,
        "headers": {"Authorization": f"Bearer {token}", "Idempotency-Key": key},
    }
    if body is not None:
        kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
    savepoint = transaction.savepoint()
    status = client.open(url, method=method, **kwargs).status_code
    if status >= 500:
        transaction.savepoint_rollback(savepoint)
    else:
        transaction.savepoint_commit(savepoint)
    return status


def _url(path: str, parameters: list[dict[str, Any]], values: dict[str, str]) -> str:
    for p in parameters:
        if p["in"] == "path":
            path = path.replace("{" + p["name"] + "}", values[p["name"]].replace("/", "%2F"))
    return path


def _query(parameters: list[dict[str, Any]], values: dict[str, str]) -> dict[str, str]:
    return {p["name"]: values[p["name"]] for p in parameters if p["in"] == "query"}


def _leaves(value: Any, at: tuple = ()) -> list[tuple]:
    """The paths to every scalar of a JSON value."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*at, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*at, i))]
    return [at]


def _replaced(body: dict[str, Any], at: tuple, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    target: Any = out
    for step in at[:-1]:
        target = target[step]
    target[at[-1]] = value
    return out


def _hostile_requests(
    method: str, path: str, parameters: list[dict[str, Any]]
) -> list[tuple[str, dict, Any]]:
    """(url, query, JSON body) of every hostile request of one operation."""
    ordinary = {p["name"]: ORDINARY.get(p["name"], "1") for p in parameters}
    body = BODIES.get((method, path))
    out = []
    for p in parameters:
        for value in HOSTILE:
            if p["in"] == "path" and not value.strip():
                continue  # an empty path segment is another route
            values = ordinary | {p["name"]: value}
            out.append((_url(path, parameters, values), _query(parameters, values), body))
    if body is not None:
        for at in _leaves(body):
            for bad in [*HOSTILE_TEXT, *HOSTILE_DATES, int(BIG), -int(BIG), 2**63, 1e308, None, [], {}]:
                out.append(
                    (_url(path, parameters, ordinary), _query(parameters, ordinary), _replaced(body, at, bad))
                )
    return out


#: (method, path) → the roles that an ordinary request of the operation does not refuse (401/403)
_ALLOWED: dict[tuple[str, str], list[str]] = {}


def _allowed(client: Client, method: str, path: str, tokens: dict[str, str]) -> list[str]:
    """The tokens of the roles the operation serves (all of them when it refuses every role)."""
    if (method, path) not in _ALLOWED:
        parameters = OPERATIONS[(method, path)]
        ordinary = {p["name"]: ORDINARY.get(p["name"], "1") for p in parameters}
        url, query = _url(path, parameters, ordinary), _query(parameters, ordinary)
        body = BODIES.get((method, path))
        _ALLOWED[(method, path)] = [
            role
            for role, token in tokens.items()
            if _send(client, method, url, query, body, token, f"probe-{role}") not in (401, 403)
        ] or list(tokens)
    return [tokens[role] for role in _ALLOWED[(method, path)]]


@pytest.mark.parametrize(("method", "path"), list(OPERATIONS), ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_hostile_values_answer_4xx(tokens, method, path):
    client = Client(wsgi.application)
    allowed = _allowed(client, method, path, tokens)
    failures = []
    for n, (url, query, body) in enumerate(_hostile_requests(method, path, OPERATIONS[(method, path)])):
        for token in allowed:
            status = _send(client, method, url, query, body, token, f"hostile-{n}")
            if status >= 500:
                failures.append(f"{status} {method} {url} {query} {json.dumps(body)[:200]}")
    assert not failures, "\n".join(failures)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_answer_no_500(case, tokens):
    for token in _allowed(
        Client(wsgi.application), case.operation.method.upper(), case.operation.path, tokens
    ):
        case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"}, checks=[schemathesis.checks.not_a_server_error]
        )
