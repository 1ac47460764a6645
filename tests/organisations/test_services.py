import pytest

from merezha.core.roles import OrgKind, Role
from merezha.organisations.models import ApiToken
from merezha.organisations.services import (
    RoleMismatch,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    organisation_ensure,
    user_create,
)

pytestmark = pytest.mark.django_db


def test_role_must_fit_the_organisation(make_org):
    point = make_org(OrgKind.PAYMENT_POINT)
    with pytest.raises(RoleMismatch):
        user_create(username="x", password="p", organisation=point, role=Role.PROVIDER)


def test_token_is_stored_hashed_and_revocable(make_user):
    user = make_user(Role.PROVIDER)
    token, plain = api_token_create(user=user, name="billing")
    assert plain not in ApiToken.objects.values_list("digest", flat=True)
    assert api_token_authenticate(plain=plain) == user
    assert api_token_authenticate(plain=plain + "x") is None
    api_token_revoke(token=token)
    assert api_token_authenticate(plain=plain) is None


def test_organisation_ensure(db):
    org, created = organisation_ensure(code="water", kind=OrgKind.PROVIDER)
    assert created and org.name == "water"
    assert organisation_ensure(code="water", kind=OrgKind.PROVIDER) == (org, False)
    with pytest.raises(ValueError, match="is a provider"):
        organisation_ensure(code="water", kind=OrgKind.HOUSING_OFFICE)
