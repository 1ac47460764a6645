"""Every importer fed random, truncated and damaged bytes: a refusal or a report, never a traceback.

Property tests (hypothesis) of the snapshot, register, street directory, subsidy decision and batch
check imports. A refusal is the importer's own (ImportRejected, FormatError, NoRuleInForce); any
other exception is a defect. `HYPOTHESIS_EXAMPLES` sets the examples per importer (CI: the default).
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from merezha.core.imports import ImportRejected, ImportReport
from merezha.core.roles import OrgKind, Role
from merezha.formats import FormatError

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "fixtures" / "samples"
EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    derandomize=True,
)


def damaged(*names: str) -> st.SearchStrategy[bytes]:
    """Random bytes; a sample file cut short; a sample with bytes overwritten; random bytes after
    the first bytes of a sample (so the format is sniffed as the sample's)."""
    files = [(SAMPLES / name).read_bytes() for name in names]
    sample = st.sampled_from(files)
    cut = sample.flatmap(lambda data: st.integers(0, len(data)).map(lambda n: data[:n]))
    flipped = st.tuples(
        sample, st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8)
    ).map(lambda pair: _overwritten(*pair))
    headed = st.tuples(sample, st.integers(1, 64), st.binary(max_size=600)).map(lambda t: t[0][: t[1]] + t[2])
    return st.one_of(st.binary(max_size=600), cut, flipped, headed)


def _overwritten(data: bytes, changes: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for position, value in changes:
        if out:
            out[position % len(out)] = value
    return bytes(out)


def answered(call) -> object:
    """The importer's answer: its report or result, or its refusal; anything else fails the test."""
    try:
        return call()
    except (ImportRejected, FormatError) as exc:
        return exc
    except Exception as exc:
        from merezha.subsidies.rule import NoRuleInForce

        if isinstance(exc, NoRuleInForce):
            return exc
        raise


@pytest.fixture
def provider(make_org, sample_streets):
    return make_org(OrgKind.PROVIDER, code="water")


@pytest.fixture
def subsidy_user(make_user, sample_streets):
    """A subsidy officer, with the rule in force: a batch check reads its file."""
    from merezha.core.money import Money
    from merezha.subsidies.services import rule_parameters_create

    user = make_user(Role.SUBSIDY)
    rule_parameters_create(
        user=user,
        valid_from=dt.date(2026, 1, 1),
        months=3,
        threshold=Money.parse("680.00"),
        threshold_large_family=Money.parse("4000.00"),
    )
    return user


@given(
    data=damaged(
        "snapshot-water-2026-10.csv",
        "snapshot-rent-2026-10.xlsx",
        "snapshot-heat-2026-10.dbf",
        "snapshot-waste-2026-10.json",
    )
)
@FUZZ
def test_snapshot_import(provider, data):
    from merezha.providers.services import snapshot_import

    answer = answered(
        lambda: snapshot_import(
            io.BytesIO(data),
            provider=provider,
            period=dt.date(2026, 10, 1),
            payments_through=dt.date(2026, 10, 31),
            name="f",
        )
    )
    assert isinstance(answer, (ImportReport, ImportRejected))


@given(
    data=damaged(
        "registry-ZHEK-01.csv", "registry-ZHEK-01.xlsx", "registry-ZHEK-02.dbf", "registry-ZHEK-02.json"
    )
)
@FUZZ
def test_registry_import(make_org, sample_streets, data):
    from merezha.registry.services import registry_import

    office = make_org(OrgKind.HOUSING_OFFICE)
    answer = answered(lambda: registry_import(io.BytesIO(data), office=office, name="f"))
    assert isinstance(answer, (ImportReport, ImportRejected))


@given(data=damaged("streets.csv"))
@FUZZ
def test_streets_import(db, data):
    from merezha.registry.services import streets_import

    answer = answered(lambda: streets_import(io.BytesIO(data), name="f"))
    assert isinstance(answer, (ImportReport, ImportRejected))


@given(
    data=damaged(
        "snapshot-water-2026-10.csv",
        "registry-ZHEK-01.xlsx",
        "registry-ZHEK-02.dbf",
        "snapshot-waste-2026-10.json",
    )
)
@FUZZ
def test_decisions_import(make_user, data):
    from merezha.subsidies.services import decisions_import

    user = make_user(Role.SUBSIDY)
    answer = answered(lambda: decisions_import(user=user, source=io.BytesIO(data), file_name="f"))
    assert isinstance(answer, (tuple, ImportRejected))


@given(
    data=damaged(
        "registry-ZHEK-01.csv", "registry-ZHEK-01.xlsx", "snapshot-heat-2026-10.dbf", "registry-ZHEK-02.json"
    )
)
@FUZZ
def test_batch_check(subsidy_user, data):
    from merezha.subsidies.models import BatchCheck
    from merezha.subsidies.services import batch_check_run

    user = subsidy_user
    answer = answered(
        lambda: batch_check_run(
            user=user, source=io.BytesIO(data), file_name="f", application_date=dt.date(2026, 11, 15)
        )
    )
    assert isinstance(answer, (BatchCheck, FormatError))
