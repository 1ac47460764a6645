"""PostgreSQL: drop the PL/pgSQL functions `merezha_cashier_payment_take` (0004) and
`merezha_payment_take` (0002). A payment is taken by `merezha.payments.services.payment_create`
alone, on every database; the functions were a second implementation of it. SQLite: nothing to do.

Going back re-creates them from the migrations that made them.
"""

import importlib

from django.db import migrations

DROP = [
    """DROP FUNCTION IF EXISTS merezha_cashier_payment_take(
    text, text, text, timestamptz, uuid, date, timestamptz, text, bigint, bigint, bigint, bigint[],
    bigint[])""",
    """DROP FUNCTION IF EXISTS merezha_payment_take(
    text, text, text, timestamptz, uuid, bigint, bigint, date, text, timestamptz, text, bigint,
    bigint, bigint, bigint[], bigint[])""",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in DROP:  # the cashier's function calls the other: it goes first
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in ("0002_payment_take_function", "0004_cashier_payment_take_function"):
            schema_editor.execute(importlib.import_module(f"merezha.payments.migrations.{name}").CREATE)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0004_cashier_payment_take_function"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
