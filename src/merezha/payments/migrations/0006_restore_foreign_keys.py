"""The foreign keys of payments and payment lines that 0003 dropped (point, cashier, provider) are
database constraints again: the database refuses a payment or a line that points at nothing.

0003 dropped them because inserting a payment locks the organisation rows it points at
(FOR KEY SHARE), which the day close's and the snapshot import's plain FOR UPDATE of those rows
blocked. Those writers now lock organisation rows FOR NO KEY UPDATE
(`merezha.organisations.locks`), which does not conflict with FOR KEY SHARE.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("organisations", "0003_iban_and_token_expiry"),
        ("payments", "0005_drop_payment_take_functions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="payment",
            name="cashier",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AlterField(
            model_name="payment",
            name="point",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="organisations.organisation",
            ),
        ),
        migrations.AlterField(
            model_name="paymentline",
            name="point",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="organisations.organisation",
            ),
        ),
        migrations.AlterField(
            model_name="paymentline",
            name="provider",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="organisations.organisation"
            ),
        ),
    ]
