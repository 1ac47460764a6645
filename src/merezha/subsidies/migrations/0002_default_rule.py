"""The rule's default parameters: Resolution 848, п.14, as applied since 2025."""

import datetime as dt

from django.db import migrations


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    Params = apps.get_model("subsidies", "SubsidyRuleParameters")
    Params.objects.get_or_create(
        valid_from=dt.date(2025, 1, 1),
        defaults={
            "months": 3,
            "threshold": 68000,
            "threshold_large_family": 400000,
            "exemptions_enabled": True,
            "note": "Resolution 848, p.14 (as applied since 2025)",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("subsidies", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
