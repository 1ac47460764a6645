"""Hand-written SQL of the hot paths: instances as the ORM gives them, statements built once, and
prepared statements on PostgreSQL when the connection allows them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from merezha.core import rows
from merezha.organisations.models import ApiToken, Organisation, User
from merezha.organisations.services import api_token_authenticate, api_token_create

pytestmark = pytest.mark.django_db


def _select(model, pk):
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {rows.columns(connection, model, 'x')} FROM {qn(model._meta.db_table)} x "
            f"WHERE x.{qn('id')} = %s",
            [pk],
        )
        return cursor.fetchone()


def test_instance_is_what_the_orm_gives(make_org, make_user):
    org = make_org("payment_point", code="P-9")
    user = make_user("cashier", organisation=org)
    User.objects.filter(pk=user.pk).update(last_login=dt.datetime(2026, 11, 2, 8, 30, tzinfo=dt.UTC))
    values = _select(User, user.pk)
    assert len(values) == rows.width(User)
    got = rows.instance(connection, User, values)
    want = User.objects.get(pk=user.pk)
    assert [getattr(got, f.attname) for f in User._meta.concrete_fields] == [
        getattr(want, f.attname) for f in User._meta.concrete_fields
    ]
    assert got.last_login == dt.datetime(2026, 11, 2, 8, 30, tzinfo=dt.UTC)  # converted on SQLite too
    assert got.is_active is True
    assert (got._state.adding, got._state.db) == (False, "default")
    assert rows.instance(connection, Organisation, _select(Organisation, org.pk)).code == "P-9"


def test_value_converts_one_column(make_org, make_user):
    token, plain = api_token_create(
        user=make_user("cashier", organisation=make_org("payment_point")), name="t"
    )
    api_token_authenticate(plain=plain)
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {qn('last_used_at')} FROM {qn(ApiToken._meta.db_table)}")
        raw = cursor.fetchone()[0]
    assert rows.value(connection, ApiToken, "last_used_at", raw) == ApiToken.objects.get().last_used_at


def test_statement_is_built_once_per_database():
    built = []

    def build(conn):
        built.append(conn.alias)
        return f"SELECT {len(built)}"

    assert rows.statement(connection, ("test", 1), build) == "SELECT 1"
    assert rows.statement(connection, ("test", 1), build) == "SELECT 1"
    assert rows.statement(connection, ("test", 2), build) == "SELECT 2"
    assert built == ["default", "default"]


def test_hot_cursor_prepares_statements_only_when_the_connection_allows(make_org, make_user):
    user = make_user("cashier", organisation=make_org("payment_point", code="P-7"))
    _token, plain = api_token_create(user=user, name="t")
    if connection.vendor != "postgresql":
        with rows.hot_cursor(connection) as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        assert api_token_authenticate(plain=plain) == user
        return

    def prepared():
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [r[0] for r in cursor.fetchall() if "organisations_apitoken" in r[0]]

    connection.ensure_connection()
    raw = connection.connection
    saved = raw.prepare_threshold
    raw.prepare_threshold = None  # Django's default
    try:
        assert api_token_authenticate(plain=plain) == user
        assert prepared() == []
        raw.prepare_threshold = 5  # settings.DB_PREPARED_STATEMENTS
        for _ in range(3):
            found = api_token_authenticate(plain=plain)
            assert found == user and found.organisation.code == "P-7"
        assert len(prepared()) == 1 and "$1" in prepared()[0]
        assert api_token_authenticate(plain=plain + "x") is None
    finally:
        raw.prepare_threshold = saved


def test_hot_call_prepares_wraps_errors_and_logs_as_a_django_cursor_does():
    from django.db import DatabaseError, transaction
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("hot_call is for PostgreSQL's hot path")

    def prepared():
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [r[0] for r in cursor.fetchall() if "merezha-hot-call" in r[0]]

    sql = "SELECT %s::int + 1, 'merezha-hot-call'"
    connection.ensure_connection()
    raw = connection.connection
    saved = raw.prepare_threshold
    try:
        raw.prepare_threshold = None  # Django's default: nothing prepared
        assert rows.hot_call(connection, sql, [1]) == (2, "merezha-hot-call")
        assert prepared() == []
        raw.prepare_threshold = 5  # settings.DB_PREPARED_STATEMENTS: prepared on the first call
        assert rows.hot_call(connection, sql, [2]) == (3, "merezha-hot-call")
        assert len(prepared()) == 1 and "$1" in prepared()[0]
    finally:
        raw.prepare_threshold = saved
    with CaptureQueriesContext(connection) as queries:
        assert rows.hot_call(connection, sql, [41]) == (42, "merezha-hot-call")
    assert [q["sql"] for q in queries.captured_queries] == [f"{sql} -- [41]"]
    with pytest.raises(DatabaseError) as raised, transaction.atomic():  # a savepoint, as in payments
        rows.hot_call(connection, "SELECT 1 / %s::int", [0])
    assert raised.value.__cause__.sqlstate == "22012"  # division by zero, the driver's error as cause
