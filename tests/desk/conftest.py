"""The cashier's desk is tested on the small city of tests/search/seed.py, with the search tests' fixtures."""

from tests.search.conftest import _fast_passwords, city  # noqa: F401  (fixtures, by name)
