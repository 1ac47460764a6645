"""After an import is applied, the configured hooks run: the cashier finds what the import brought."""

import io

import pytest
from django.core.management import call_command

from merezha.core.hooks import imports_applied
from merezha.core.imports import ImportReport
from merezha.search.selectors import dwelling_search

pytestmark = pytest.mark.django_db

CALLS: list[ImportReport] = []


def record(*, report: ImportReport) -> None:
    CALLS.append(report)


def test_hooks_run_only_for_applied_imports(settings):
    settings.MEREZHA_AFTER_IMPORT = ["tests.core.test_hooks.record"]
    CALLS.clear()
    imports_applied(report=ImportReport(applied=False))
    applied = ImportReport(applied=True)
    imports_applied(report=applied)
    assert len(CALLS) == 1 and CALLS[0] is applied


def test_registry_and_snapshot_commands_refresh_the_search_index(sample_streets, samples, make_org):
    make_org("housing_office", code="ZHEK-02")
    make_org("provider", code="heat")
    assert dwelling_search(query="Марченко", user=None) == []
    call_command(
        "import-registry",
        "--office",
        "ZHEK-02",
        str(samples / "registry-ZHEK-02.json"),
        stdout=io.StringIO(),
    )
    assert any("Кам'янецька" in hit.address for hit in dwelling_search(query="Марченко Андрій", user=None))
    call_command(
        "import-snapshot",
        "--provider",
        "heat",
        "--period",
        "2026-10",
        "--payments-through",
        "2026-10-31",
        "--accept-partial",
        str(samples / "snapshot-heat-2026-10.dbf"),
        stdout=io.StringIO(),
    )
    assert dwelling_search(query="H10000004h", user=None)  # an account number the provider's snapshot brought


def test_the_street_directory_command_refreshes_the_search_street_names(
    sample_streets, samples, tmp_path, make_org
):
    make_org("housing_office", code="ZHEK-02")
    call_command(
        "import-registry", "--office", "ZHEK-02", str(samples / "registry-ZHEK-02.json"), stdout=io.StringIO()
    )
    assert not any(
        "Кам'янецька" in hit.address for hit in dwelling_search(query="Подільська Стара 5", user=None)
    )
    streets = tmp_path / "streets.csv"
    streets.write_text("type;name;former_names\nвул.;Кам'янецька;Подільська Стара\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import-streets", str(streets), stdout=out)
    assert "changes: created 0, renamed 0, updated 1" in out.getvalue()
    hits = dwelling_search(query="Подільська Стара 5", user=None)
    assert hits and all(hit.address.startswith("вул. Кам'янецька, 5") for hit in hits)
