from __future__ import annotations

from pathlib import Path

import pytest

SAMPLES = Path(__file__).parent / "fixtures" / "samples"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_messages(settings):
    """Tests assert the English source messages; a test about the Ukrainian interface asks for it."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def ukrainian(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "uk"
    with translation.override("uk"):
        yield


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


@pytest.fixture
def keep_the_test_connection():
    """For requests through merezha.wsgi.application, as Django's test client does: a request must
    not close the test's database connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
