import pytest

from merezha.core.roles import OrgKind, Role
from tests.search.seed import City, city_seed


@pytest.fixture
def city(db) -> City:
    return city_seed()


@pytest.fixture
def cashier(make_user, make_org):
    return make_user(
        Role.CASHIER, organisation=make_org(OrgKind.PAYMENT_POINT, code="PT-01"), username="olha"
    )


@pytest.fixture
def centre(client, make_user, make_org):
    admin = make_user(Role.ADMIN, organisation=make_org(OrgKind.INFO_CENTRE, code="IC"), username="ic-admin")
    client.force_login(admin)
    return client
