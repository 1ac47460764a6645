from __future__ import annotations

from types import SimpleNamespace

import pytest

from merezha.core.roles import OrgKind, Role


@pytest.fixture
def point_staff(make_user, make_org):
    """A payment point with its administrator (`head`, a cashier) and a `colleague`; a cashier of
    another point (`stranger`)."""
    point = make_org(OrgKind.PAYMENT_POINT)
    head = make_user(Role.CASHIER, organisation=point)
    head.is_org_admin = True
    head.save()
    return SimpleNamespace(
        point=point,
        head=head,
        colleague=make_user(Role.CASHIER, organisation=point),
        stranger=make_user(Role.CASHIER),
    )
