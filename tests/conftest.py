from __future__ import annotations

from pathlib import Path

import pytest

SAMPLES = Path(__file__).parent / "fixtures" / "samples"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def make_org(db):
    from merezha.organisations.services import organisation_create

    counter = {"n": 0}

    def make(kind: str, code: str | None = None, **kwargs):
        counter["n"] += 1
        return organisation_create(
            code=code or f"{kind[:4].upper()}-{counter['n']}", name=code or kind, kind=kind, **kwargs
        )

    return make


@pytest.fixture
def make_user(db, make_org):
    from merezha.core.roles import ROLE_ORG_KIND
    from merezha.organisations.services import user_create

    counter = {"n": 0}

    def make(role: str, organisation=None, username: str | None = None):
        counter["n"] += 1
        org = organisation or make_org(ROLE_ORG_KIND[role])
        return user_create(
            username=username or f"{role}{counter['n']}", password="pw-123456", organisation=org, role=role
        )

    return make


@pytest.fixture
def sample_streets(db, samples):
    from merezha.registry.services import streets_import

    return streets_import(str(samples / "streets.csv"))
