"""The default rule's note, shown on the rule's page, in Ukrainian (0002 wrote it in English)."""

from django.db import migrations

ENGLISH = "Resolution 848, p.14 (as applied since 2025)"
UKRAINIAN = "Постанова КМУ № 848, п. 14 (у редакції, чинній з 2025 року)"


def to_ukrainian(apps, schema_editor):  # type: ignore[no-untyped-def]
    Params = apps.get_model("subsidies", "SubsidyRuleParameters")
    Params.objects.filter(note=ENGLISH).update(note=UKRAINIAN)


def to_english(apps, schema_editor):  # type: ignore[no-untyped-def]
    Params = apps.get_model("subsidies", "SubsidyRuleParameters")
    Params.objects.filter(note=UKRAINIAN).update(note=ENGLISH)


class Migration(migrations.Migration):
    dependencies = [("subsidies", "0002_default_rule")]
    operations = [migrations.RunPython(to_ukrainian, to_english)]
