"""The money-loop fixtures of tests/payments, shared with the registers tests."""

from tests.payments.conftest import _fast_passwords, pay, world  # noqa: F401
