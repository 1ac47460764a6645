"""Leave room on every page of the accounts for the monthly rewrite of their balances.

A snapshot rewrites each account's balance and snapshot; none of those columns is indexed, so on
PostgreSQL the new row version can stay on its page without new index entries (a HOT update) when
the page has room for it. With the default fill factor of 100 it never has, and a 600,000-row
snapshot then writes 1.8 million index entries (five times slower, measured). SQLite: nothing to do.
"""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE providers_account SET (fillfactor = 50)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE providers_account RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_initial")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
