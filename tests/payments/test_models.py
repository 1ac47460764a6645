"""The database enforces every reference of the money loop (PostgreSQL): payments, their lines,
accounts and the accounts' history refuse a row that points at nothing. And the payment is taken
in Python alone: a migrated database holds no function of ours."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from merezha.core.money import Money
from merezha.payments.models import Payment, PaymentLine
from merezha.providers.models import Account, AccountPeriod

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's catalogue"),
]

#: an id no row has
MISSING = 2**62
_n = itertools.count(1)

_FOREIGN_KEYS = """
SELECT fk.table_name, kcu.column_name, pk.table_name
  FROM information_schema.referential_constraints rc
  JOIN information_schema.table_constraints fk
    ON fk.constraint_schema = rc.constraint_schema AND fk.constraint_name = rc.constraint_name
  JOIN information_schema.key_column_usage kcu
    ON kcu.constraint_schema = fk.constraint_schema AND kcu.constraint_name = fk.constraint_name
  JOIN information_schema.table_constraints pk
    ON pk.constraint_schema = rc.unique_constraint_schema AND pk.constraint_name = rc.unique_constraint_name
 WHERE fk.constraint_type = 'FOREIGN KEY' AND fk.table_schema = current_schema()
   AND fk.table_name = ANY(%s)
"""


def _foreign_keys(tables: list[str]) -> set[tuple[str, str, str]]:
    """(table, column, referenced table) of every foreign-key constraint of `tables`."""
    with connection.cursor() as cursor:
        cursor.execute(_FOREIGN_KEYS, [tables])
        return set(cursor.fetchall())


def test_the_foreign_keys_dropped_for_speed_are_back():
    found = _foreign_keys(
        ["payments_payment", "payments_paymentline", "providers_account", "providers_accountperiod"]
    )
    assert {
        ("payments_payment", "point_id", "organisations_organisation"),
        ("payments_payment", "cashier_id", "organisations_user"),
        ("payments_paymentline", "point_id", "organisations_organisation"),
        ("payments_paymentline", "provider_id", "organisations_organisation"),
        ("providers_account", "snapshot_id", "providers_snapshot"),
        ("providers_accountperiod", "account_id", "providers_account"),
        ("providers_accountperiod", "snapshot_id", "providers_snapshot"),
    } <= found


def test_every_reference_of_payments_and_providers_is_a_database_constraint():
    models = [*apps.get_app_config("payments").get_models(), *apps.get_app_config("providers").get_models()]
    expected = {
        (model._meta.db_table, field.column, field.related_model._meta.db_table)
        for model in models
        for field in model._meta.concrete_fields
        if field.is_relation
    }
    assert len(expected) >= 19  # every model of both apps, as of this test
    assert _foreign_keys(sorted({table for table, _, _ in expected})) == expected


def test_a_migrated_database_has_no_function_of_ours():
    with connection.cursor() as cursor:
        cursor.execute(r"SELECT proname FROM pg_proc WHERE proname LIKE 'merezha\_%%'")
        assert cursor.fetchall() == []


def _payment(world, **over):
    fields = {
        "id": uuid.uuid4(),
        "point_id": world.points[0].pk,
        "cashier_id": world.cashiers[0].pk,
        "operational_day": dt.date(2026, 11, 2),
        "number": next(_n),
        "receipt": f"T-{uuid.uuid4().hex[:8]}",
        "accepted_at": dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC),
        "method": "card",
        "total": Money(100),
        "idempotency_key": uuid.uuid4().hex,
    }
    return Payment.objects.create(**{**fields, **over})


def _line(world, **over):
    fields = {
        "payment": _payment(world),
        "account_id": world.accounts["water"].pk,
        "provider_id": world.providers["water"].pk,
        "operational_day": dt.date(2026, 11, 2),
        "point_id": world.points[0].pk,
        "amount": Money(100),
    }
    return PaymentLine.objects.create(**{**fields, **over})


def _account(world, **over):
    water = world.accounts["water"]
    fields = {
        "provider_id": water.provider_id,
        "service_id": water.service_id,
        "number": f"NEW-{next(_n)}",
        "street": "вул. Тестова",
        "house": "1",
        "snapshot_id": water.snapshot_id,
    }
    return Account.objects.create(**{**fields, **over})


def _period(world, **over):
    water = world.accounts["water"]
    fields = {
        "account_id": water.pk,
        "snapshot_id": water.snapshot_id,
        "period": dt.date(2000 + next(_n), 1, 1),
        "closing": Money(0),
    }
    return AccountPeriod.objects.create(**{**fields, **over})


WRITES = {
    "payment's point": (_payment, "point_id"),
    "payment's cashier": (_payment, "cashier_id"),
    "line's account": (_line, "account_id"),
    "line's provider": (_line, "provider_id"),
    "line's point": (_line, "point_id"),
    "account's snapshot": (_account, "snapshot_id"),
    "history's account": (_period, "account_id"),
    "history's snapshot": (_period, "snapshot_id"),
}


@pytest.mark.parametrize("case", list(WRITES))
def test_a_row_pointing_at_nothing_is_refused(world, case):
    write, column = WRITES[case]
    with transaction.atomic():  # the reference is right: the row is kept
        write(world)
        connection.check_constraints()  # checks the deferred constraints now, not at commit
    with pytest.raises(IntegrityError, match=column), transaction.atomic():
        write(world, **{column: MISSING})
        connection.check_constraints()
