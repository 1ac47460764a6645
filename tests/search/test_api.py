"""GET /api/v1/search: the route's function, called directly (the lead mounts the router)."""

import pytest
from django.test import RequestFactory
from ninja.errors import HttpError

from merezha.core.roles import Role
from merezha.search.api import search


def call(user, **params):
    request = RequestFactory().get("/api/v1/search", params)
    request.user = user
    return search(request, **params)


def test_cashier_searches(make_user, city):
    (hit,) = call(make_user(Role.CASHIER), q="1779483742")
    assert hit.dwelling_id == city.dwellings["0001"].pk
    assert hit.matched == "tax id ******3742"
    assert hit.address == "вул. Свободи, 12, кв. 1"
    assert len(call(make_user(Role.CASHIER), q="Свободи", limit=2)) == 2


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.HOUSING, Role.MANAGER])
def test_others_get_403(make_user, city, role):
    with pytest.raises(HttpError) as exc:
        call(make_user(role), q="Коваленко")
    assert exc.value.status_code == 403
