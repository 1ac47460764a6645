from __future__ import annotations

import datetime as dt

import pytest

from merezha.core.roles import OrgKind

PERIOD = dt.date(2026, 10, 1)
THROUGH = dt.date(2026, 10, 31)
HEADER = "account;service;street;house;apartment;payer;tax_id;opening;charged;recalc;benefit;subsidy;paid;closing\n"


@pytest.fixture(autouse=True)
def _immediate_tasks_and_home(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.HOME = tmp_path / "home"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def city(db, samples, sample_streets):
    """The sample city: streets and both housing office registers."""
    from merezha.registry.services import registry_import

    for code, file in (("ZHEK-01", "registry-ZHEK-01.csv"), ("ZHEK-02", "registry-ZHEK-02.dbf")):
        from merezha.organisations.services import organisation_register

        office, _ = organisation_register(code=code, name=code, kind=OrgKind.HOUSING_OFFICE)
        registry_import(str(samples / file), office=office)


@pytest.fixture
def provider(make_org):
    return make_org(OrgKind.PROVIDER, code="water")


@pytest.fixture
def write_snapshot(tmp_path):
    counter = {"n": 0}

    def write(*rows: str, header: str = HEADER, name: str | None = None):
        counter["n"] += 1
        path = tmp_path / (name or f"snap{counter['n']}.csv")
        path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
        return path

    return write
