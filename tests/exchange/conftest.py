"""The money-loop fixtures of tests/payments, shared with the exchange tests."""

from tests.payments.conftest import _fast_passwords, at, pay, world  # noqa: F401
