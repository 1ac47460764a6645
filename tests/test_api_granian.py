"""The Idempotency-Key's one rule, under the production server (granian) as under the test client.

granian passes a header value with bytes outside ASCII (`ключ-1` sent raw, in UTF-8 or in
cp1251) to the application as an empty header. The API refuses an empty key with 422 naming the
header, so such a write is never run as if it carried no key (two certificates for one key).
"""

from __future__ import annotations

import json

import pytest

from tests.servers import granian, raw_request

pytestmark = pytest.mark.django_db  # the test client's half

EMPTY = (
    "the Idempotency-Key header is empty: a key is 1 to 128 printable ASCII characters "
    "(a key with other characters may reach the server as an empty header)"
)
NON_ASCII = "the Idempotency-Key header must hold printable ASCII characters only (space to ~)"

SETUP = """
from merezha.organisations.services import api_token_create, organisation_create, user_create
from merezha.registry.models import Building, Dwelling, Street
office = organisation_create(code="ZHEK-G", name="office", kind="housing_office")
subsidy = organisation_create(code="USZN-G", name="subsidy", kind="subsidy_office")
user = user_create(username="officer", password="pw-123456", organisation=subsidy, role="subsidy")
street = Street.objects.create(type="вул.", name="Тестова", key="тестова")
building = Building.objects.create(street=street, number="1", key="1", office=office)
dwelling = Dwelling.objects.create(building=building, apartment="5", apartment_key="5", office=office, office_ref="D1")
result = {"token": api_token_create(user=user, name="t")[1], "dwelling": dwelling.pk}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with granian(tmp_path_factory.mktemp("granian")) as server:
        server.data = server.django(SETUP)  # type: ignore[attr-defined]
        yield server


def certificates(server) -> int:
    return server.django("from merezha.core.models import Certificate\nresult = Certificate.objects.count()")


def post_certificate(server, key: bytes | None) -> tuple[int, dict]:
    headers = {
        "Authorization": f"Bearer {server.data['token']}".encode(),
        "Content-Type": b"application/json",
    }
    if key is not None:
        headers["Idempotency-Key"] = key
    body = json.dumps({"dwelling_id": server.data["dwelling"]}).encode()
    return raw_request(server, "POST", "/api/v1/subsidy/certificates", headers, body)


def test_a_non_ascii_key_is_refused_under_granian(server):
    before = certificates(server)
    for raw in ("ключ-1".encode(), "ключ-1".encode("cp1251"), b"caf\xe9", b"  "):
        assert post_certificate(server, raw) == (422, {"detail": EMPTY}), raw
    assert certificates(server) == before


def test_one_certificate_per_key_under_granian(server):
    before = certificates(server)
    status, first = post_certificate(server, b"cert-g-1")
    assert status == 201
    assert post_certificate(server, b"cert-g-1") == (201, first)
    assert certificates(server) == before + 1
    status, other = post_certificate(server, b"cert-g-2")
    assert (status, other["number"] != first["number"]) == (201, True)


def test_a_non_ascii_key_is_refused_by_the_test_client(client, make_user):
    from merezha.organisations.services import api_token_create

    plain = api_token_create(user=make_user("subsidy"), name="t")[1]
    for raw, detail in (("ключ-1", NON_ASCII), ("ключ-1".encode().decode("latin-1"), NON_ASCII), ("", EMPTY)):
        r = client.post(
            "/api/v1/subsidy/certificates",
            {"dwelling_id": 1},
            content_type="application/json",
            headers={"Authorization": f"Bearer {plain}", "Idempotency-Key": raw},
        )
        assert (r.status_code, r.json()) == (422, {"detail": detail}), raw
