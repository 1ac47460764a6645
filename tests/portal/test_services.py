"""Access codes: derived, hashed, rotated; the resident's sign-in and its lock-out."""

from __future__ import annotations

import pytest

from merezha.portal import selectors, services
from merezha.portal.models import ResidentAccess, SignInAttempt


def code_of(dwelling):
    services.access_codes_ensure(dwelling_ids=[dwelling.pk])
    return selectors.access_codes(dwelling_ids=[dwelling.pk])[dwelling.pk]


def test_code_is_stable_hashed_and_never_stored(city):
    d = city.dwellings["0001"]
    code = code_of(d)
    services.access_codes_ensure(dwelling_ids=[d.pk])  # again: the same code
    assert code_of(d) == code and len(code) == 10 and set(code) <= set(selectors._CODE_ALPHABET)
    row = ResidentAccess.objects.get(dwelling=d)
    assert code not in (row.nonce, row.code_hash)
    assert row.code_hash == selectors.access_code_hash(dwelling_id=d.pk, code=code)


def test_sign_in_with_code_and_any_account_number(city):
    d = city.dwellings["0001"]
    code = code_of(d)
    shown = selectors.access_code_display(code).lower()  # typed as printed, in lower case
    result = services.resident_sign_in(code=shown, account="h-0001 ", client="10.0.0.1")
    assert result.dwelling_id == d.pk and not result.locked
    assert services.resident_sign_in(code=code, account="W-0001", client="10.0.0.1").dwelling_id == d.pk
    # another dwelling's account number with this code: no
    assert services.resident_sign_in(code=code, account="1000123", client="10.0.0.1").dwelling_id is None


def test_ten_wrong_codes_lock_the_account_number_even_for_the_right_code(city, settings):
    d = city.dwellings["0001"]
    code = code_of(d)
    results = [
        services.resident_sign_in(code="WRONGCODE1", account="W-0001", client=f"10.0.0.{n}")
        for n in range(10)
    ]
    assert [r.locked for r in results] == [False] * 9 + [True]
    assert results[-1].failures == 10
    refused = services.resident_sign_in(code=code, account="W-0001", client="10.9.9.9")
    assert (refused.dwelling_id, refused.locked) == (None, True)
    assert SignInAttempt.objects.count() == 10  # a locked attempt is not checked nor counted
    # the client is locked too, for any account number
    assert services.resident_sign_in(code=code, account="H-0001", client="10.0.0.1").locked is False
    for _ in range(10):
        services.resident_sign_in(code="nope", account="R-0001", client="10.7.7.7")
    assert services.resident_sign_in(code=code, account="H-0001", client="10.7.7.7").locked is True


def test_lock_ends_after_the_window(city, settings):
    import datetime as dt

    from django.utils import timezone

    d = city.dwellings["0001"]
    code = code_of(d)
    for _ in range(10):
        services.resident_sign_in(code="nope", account="W-0001", client="c")
    SignInAttempt.objects.update(
        at=timezone.now() - dt.timedelta(minutes=settings.PORTAL_LOCKOUT_MINUTES + 1)
    )
    assert services.resident_sign_in(code=code, account="W-0001", client="c").dwelling_id == d.pk


def test_rotation_changes_the_code_and_ends_sessions(city, make_user):
    d = city.dwellings["0001"]
    old = code_of(d)
    nonce = ResidentAccess.objects.get(dwelling=d).nonce
    clerk = make_user("housing", organisation=city.office)
    new = services.access_code_rotate(office=city.office, dwelling_id=d.pk, user=clerk)
    assert new != old and code_of(d) == new
    assert services.resident_session_valid(dwelling_id=d.pk, nonce=nonce) is False
    assert services.resident_sign_in(code=old, account="W-0001", client="c").dwelling_id is None
    assert services.resident_sign_in(code=new, account="W-0001", client="c").dwelling_id == d.pk
    row = ResidentAccess.objects.get(dwelling=d)
    assert row.rotated_by == clerk and row.rotated_at is not None


def test_rotation_refuses_another_offices_dwelling(city, make_org, make_user):
    other = make_org("housing_office")
    with pytest.raises(services.NotYourDwelling):
        services.access_code_rotate(office=other, dwelling_id=city.dwellings["0001"].pk, user=None)
