"""The foreign keys of accounts and their history that 0003 dropped (an account's snapshot, a
history row's account and snapshot) are database constraints again: the database refuses a row
that points at nothing. PostgreSQL checks them at commit (DEFERRABLE INITIALLY DEFERRED), so the
snapshot import may write accounts and history in any order inside its transaction.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0003_history_references_unconstrained"),
    ]

    operations = [
        migrations.AlterField(
            model_name="account",
            name="snapshot",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="providers.snapshot",
            ),
        ),
        migrations.AlterField(
            model_name="accountperiod",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="periods",
                to="providers.account",
            ),
        ),
        migrations.AlterField(
            model_name="accountperiod",
            name="snapshot",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="periods",
                to="providers.snapshot",
            ),
        ),
    ]
