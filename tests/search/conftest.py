import pytest
from tests.search.seed import City, city_seed


@pytest.fixture
def city(db) -> City:
    return city_seed()
