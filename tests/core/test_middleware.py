"""core.middleware: a NUL in a request's path, query string or a page's form is refused before a view runs."""

from __future__ import annotations

import pytest
from django.test import Client

from merezha.core.roles import Role
from merezha.organisations.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(make_user):
    plain = api_token_create(user=make_user(Role.PROVIDER), name="t")[1]
    return Client(headers={"Authorization": f"Bearer {plain}"})


def test_a_nul_in_the_query_string_answers_400(api):
    response = api.get("/api/v1/inbox?kind=%00")
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "the query string contains a NUL character (%00), which no field accepts"},
    )
    assert api.get("/api/v1/inbox?kind=register").status_code == 200


def test_a_nul_in_the_path_answers_400(api):
    response = api.get("/api/v1/subsidy/certificates/a%00b/pdf")
    assert (response.status_code, response.json()["detail"][:28]) == (400, "the path contains a NUL char")


def test_a_nul_in_a_page_form_answers_400(client):
    response = client.post("/login/", "username=a%00&password=b", "application/x-www-form-urlencoded")
    assert (response.status_code, response.content) == (
        400,
        b"the form contains a NUL character (%00), which no field accepts",
    )
    assert client.get("/login/?next=%00").status_code == 400
