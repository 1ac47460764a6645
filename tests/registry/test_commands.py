"""The `merezha import-registry` and `import-streets` commands."""

import io

import pytest
from django.core.management import CommandError, call_command

from merezha.organisations.models import Organisation
from merezha.registry.models import Dwelling

pytestmark = pytest.mark.django_db


def test_an_unknown_office_is_refused_and_never_registered(sample_streets, samples, make_org):
    make_org("housing_office", code="ZHEK-01")
    make_org("housing_office", code="ZHEK-02")
    with pytest.raises(CommandError) as exc:
        call_command("import-registry", "--office", "ZHEK-9", str(samples / "registry-ZHEK-01.csv"))
    assert str(exc.value) == (
        "--office: unknown housing office 'ZHEK-9': known codes are ZHEK-01, ZHEK-02 "
        "(register a new one with `merezha org add --kind housing-office`)"
    )
    assert not Organisation.objects.filter(code="ZHEK-9").exists() and not Dwelling.objects.exists()


def test_a_refused_register_changes_nothing_and_a_good_one_applies(sample_streets, samples, make_org):
    make_org("housing_office", code="ZHEK-9")
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import-registry", "--office", "ZHEK-9", str(samples / "registry-bad.csv"), stderr=err)
    assert str(exc.value).startswith(
        "registry-bad.csv: refused, nothing changed: 2 rejected row(s) (line 2, 3)"
    )
    assert not Dwelling.objects.exists()
    out = io.StringIO()
    call_command("import-registry", "--office", "ZHEK-9", str(samples / "registry-ZHEK-01.csv"), stdout=out)
    assert "registered" not in out.getvalue()
    assert Dwelling.objects.filter(office__code="ZHEK-9").count() == 73
