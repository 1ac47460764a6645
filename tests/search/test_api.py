"""GET /api/v1/search: the route's function, called directly (the lead mounts the router)."""

import pytest
from django.test import RequestFactory
from ninja.errors import HttpError

from merezha.core.models import AuditEntry
from merezha.core.roles import Role
from merezha.core.services import audit_tax_id_hash
from merezha.search.api import search


def call(user, **params):
    request = RequestFactory().get("/api/v1/search", params)
    request.user = user
    return search(request, **params)


def test_cashier_searches(make_user, city):
    cashier = make_user(Role.CASHIER)
    (hit,) = call(cashier, q="1779483742")
    assert hit.dwelling_id == city.dwellings["0001"].pk
    assert hit.matched == "tax id ******3742"
    # the API's answer stays English and has only its documented fields
    assert hit.model_dump() == {
        "dwelling_id": city.dwellings["0001"].pk,
        "address": "вул. Свободи, 12, кв. 1",
        "office": "ЖЕК № 1",
        "residents": 2,
        "matched": "tax id ******3742",
        "rank": 0,
    }
    assert hit.address == "вул. Свободи, 12, кв. 1"
    assert len(call(make_user(Role.CASHIER), q="Свободи", limit=2)) == 2
    entry = AuditEntry.objects.filter(user=cashier).get()
    assert (entry.action, entry.channel, entry.query, entry.tax_id_hash) == (
        "dwelling_search",
        "api",
        "******3742",
        audit_tax_id_hash("1779483742"),
    )
    assert list(entry.subjects.values_list("kind", "object_id")) == [("dwelling", city.dwellings["0001"].pk)]


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.HOUSING, Role.MANAGER])
def test_others_get_403(make_user, city, role):
    with pytest.raises(HttpError) as exc:
        call(make_user(role), q="Коваленко")
    assert exc.value.status_code == 403
    assert not AuditEntry.objects.exists()
