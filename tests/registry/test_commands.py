"""The `merezha import-registry` and `import-streets` commands."""

import io

import pytest
from django.core.management import CommandError, call_command

from merezha.organisations.models import Organisation
from merezha.registry.models import Dwelling

pytestmark = pytest.mark.django_db


def test_a_refused_register_registers_no_new_office(sample_streets, samples):
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import-registry", "--office", "ZHEK-9", str(samples / "registry-bad.csv"), stderr=err)
    assert str(exc.value).startswith(
        "registry-bad.csv: refused, nothing changed: 2 rejected row(s) (line 2, 3)"
    )
    assert not Organisation.objects.filter(code="ZHEK-9").exists()
    out = io.StringIO()
    call_command("import-registry", "--office", "ZHEK-9", str(samples / "registry-ZHEK-01.csv"), stdout=out)
    assert out.getvalue().splitlines()[0] == "registered a new housing office ZHEK-9"
    assert Dwelling.objects.filter(office__code="ZHEK-9").count() == 73
