"""Wrong passwords are throttled per user name and per client address (django-axes, settings.AXES_*)."""

from __future__ import annotations

import pytest
from django.test import Client

from merezha.core.roles import Role

pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_the_tenth_wrong_password_locks_the_user_out_and_the_right_one_is_then_refused(make_user, settings):
    assert settings.AXES_FAILURE_LIMIT == 10
    user = make_user(Role.CASHIER)
    client = Client()
    statuses = [login(client, user.username, "wrong").status_code for _ in range(12)]
    assert statuses == [200] * 9 + [429] * 3
    locked = login(client, user.username, "pw-123456")
    assert locked.status_code == 429
    assert b"Too many wrong passwords" in locked.content and b"for 15 min" in locked.content
    assert "_auth_user_id" not in client.session
    # from another address too: the user name is locked
    assert login(Client(), user.username, "pw-123456", address="10.0.0.2").status_code == 429


def test_one_address_is_locked_out_across_user_names(make_user):
    users = [make_user(Role.CASHIER) for _ in range(3)]
    client = Client()
    statuses = [login(client, users[n % 2].username, "wrong").status_code for n in range(10)]
    assert statuses == [200] * 9 + [429]
    assert login(client, users[2].username, "pw-123456").status_code == 429
    other = Client()
    assert login(other, users[2].username, "pw-123456", address="10.0.0.9").status_code == 302


def test_a_right_password_before_the_limit_resets_the_count(make_user):
    user = make_user(Role.CASHIER)
    client = Client()
    assert [login(client, user.username, "wrong").status_code for _ in range(9)] == [200] * 9
    assert login(client, user.username, "pw-123456").status_code == 302
    client.logout()
    assert [login(client, user.username, "wrong").status_code for _ in range(9)] == [200] * 9


def test_the_lock_ends_after_the_cool_off(make_user, settings):
    from axes.models import AccessAttempt
    from django.utils import timezone

    user = make_user(Role.CASHIER)
    client = Client()
    for _ in range(10):
        login(client, user.username, "wrong")
    assert login(client, user.username, "pw-123456").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timezone.timedelta(minutes=16))
    assert login(client, user.username, "pw-123456").status_code == 302


def test_the_lock_page_is_ukrainian(make_user, ukrainian):
    user = make_user(Role.CASHIER)
    client = Client()
    for _ in range(10):
        login(client, user.username, "wrong")
    page = login(client, user.username, "wrong").content.decode()
    assert "Забагато хибних паролів" in page


@pytest.mark.parametrize("field", ["username", "password"])
def test_an_overlong_user_name_or_password_is_a_wrong_login_not_an_error(make_user, field):
    """A user name longer than the axes' records hold (255) once failed with a 500 on PostgreSQL."""
    user = make_user(Role.CASHIER)
    values = {"username": user.username, "password": "wrong", field: "x" * 3000}
    response = Client().post("/login/", values, REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 200
    assert "_auth_user_id" not in Client().session
