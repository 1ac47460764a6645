"""`merezha import-snapshot`: a summary on success, every rejected row and a one-line reason on failure."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from merezha.core.roles import OrgKind
from merezha.organisations.models import Organisation, ProviderService
from merezha.providers.models import Account

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import-snapshot", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def providers(db):
    """The providers of the sample files, registered as the information centre does (`org add`)."""
    for code in ("rent", "waste", "water"):
        call_command("org", "add", "--kind", "provider", "--code", code, "--name", code, stdout=io.StringIO())


def test_unknown_provider_is_refused_listing_the_known_codes(city, samples):
    with pytest.raises(CommandError) as exc:
        run(
            "--provider", "watr", "--period", "2026-10", "--payments-through", "2026-10-31",
            str(samples / "snapshot-water-2026-10.csv"),
        )  # fmt: skip
    assert str(exc.value) == (
        "--provider: unknown provider 'watr': known codes are rent, waste, water "
        "(register a new one with `merezha org add --kind provider`)"
    )
    assert not Organisation.objects.filter(code="watr").exists() and not Account.objects.exists()


def test_summary_printed(city, samples):
    out, _ = run(
        "--provider", "rent", "--period", "2026-10", "--payments-through", "2026-10-31",
        str(samples / "snapshot-rent-2026-10.xlsx"),
    )  # fmt: skip
    assert out.splitlines()[0].startswith("snapshot ")
    assert "rows read 125, applied 125, rejected 0" in out
    assert "unmatched addresses: 1" in out and "closing total 92128.00" in out
    rent = Organisation.objects.get(code="rent")
    assert rent.kind == OrgKind.PROVIDER
    assert list(ProviderService.objects.filter(provider=rent).values_list("service__code", flat=True)) == [
        "rent"
    ]
    out, _ = run(
        "--provider", "rent", "--period", "2026-10", "--payments-through", "2026-10-31",
        str(samples / "snapshot-rent-2026-10.xlsx"),
    )  # fmt: skip
    assert "unchanged 125" in out


def test_json_needs_no_metadata_options(city, samples):
    out, _ = run("--provider", "waste", str(samples / "snapshot-waste-2026-10.json"))
    assert "rows read 125, applied 125" in out


def test_rejected_rows_are_printed_with_their_line(city, samples):
    with pytest.raises(CommandError) as exc:
        run(
            "--provider", "water", "--period", "2026-10", "--payments-through", "2026-10-31",
            str(samples / "snapshot-bad-inconsistent.csv"),
        )  # fmt: skip
    assert "refused, nothing changed" in str(exc.value) and "(line 3)" in str(exc.value)
    assert Account.objects.count() == 0


def test_bad_options_are_one_line_reasons(city, samples, make_org):
    with pytest.raises(CommandError, match="not a period"):
        run("--provider", "water", "--period", "10/2026", str(samples / "snapshot-water-2026-10.csv"))
    make_org(OrgKind.HOUSING_OFFICE, code="ZHEK-09")
    with pytest.raises(CommandError, match="^--provider: ZHEK-09 is a housing office, not a provider$"):
        run("--provider", "ZHEK-09", "--period", "2026-10", "--payments-through", "2026-10-31",
            str(samples / "snapshot-water-2026-10.csv"))  # fmt: skip
    with pytest.raises(CommandError, match="cannot open"):
        run(
            "--provider",
            "water",
            "--period",
            "2026-10",
            "--payments-through",
            "2026-10-31",
            "/nonexistent.csv",
        )


def test_a_file_that_cannot_be_read_is_named_in_the_one_line_reason(city, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError) as exc:
        run("--provider", "water", "--period", "2026-10", "--payments-through", "2026-10-31", str(path))
    assert str(exc.value) == (
        "empty.csv: refused, nothing changed: 1 rejected row(s) (line 1); first: line 1: the file is empty"
    )


def test_a_row_broken_by_an_unquoted_delimiter_is_rejected_alone_with_accept_partial(city, tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "account,service,street,house,closing\n"
        "A1,water,вул. Проскурівська,2,10.00\n"
        "A2,water,вул. Проскурівська, 4,4,20.00\n"
        "A3,water,вул. Проскурівська,4,30.00\n",
        encoding="utf-8",
    )
    args = ("--provider", "water", "--period", "2026-10", "--payments-through", "2026-10-31")
    with pytest.raises(CommandError) as exc:
        run(*args, str(path))
    assert str(exc.value) == (
        "s.csv: refused, nothing changed: 1 rejected row(s) (line 3); first: line 3: 6 fields where the "
        "header has 5 (a delimiter inside a value that is not quoted?)"
    )
    assert not Account.objects.exists()
    out, _ = run(*args, "--accept-partial", str(path))
    assert out.splitlines()[0] == (
        "rejected: line 3: 6 fields where the header has 5 (a delimiter inside a value that is not quoted?)"
    )
    assert "rows read 3, applied 2, rejected 1" in out
    assert sorted(Account.objects.values_list("number", flat=True)) == ["A1", "A3"]
