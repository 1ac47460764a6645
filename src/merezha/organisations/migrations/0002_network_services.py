"""The network service codes of exchange-v1 §2 exist in every database."""

from django.db import migrations

SERVICES = [
    ("water", "Водопостачання"),
    ("sewer", "Водовідведення"),
    ("heat", "Опалення"),
    ("hot_water", "Гаряча вода"),
    ("rent", "Квартплата"),
    ("waste", "Вивезення сміття"),
    ("gas", "Газопостачання"),
    ("electricity", "Електроенергія"),
    ("lift", "Ліфт"),
]


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    Service = apps.get_model("organisations", "Service")
    for code, name in SERVICES:
        Service.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("organisations", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
