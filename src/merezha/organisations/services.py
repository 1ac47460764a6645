"""Writes: organisations, services, users and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from merezha.core import rows
from merezha.core.roles import ROLE_ORG_KIND, Role
from merezha.organisations.models import ApiToken, Organisation, ProviderService, Service, ServiceAlias, User


class RoleMismatch(ValueError):
    pass


def organisation_create(
    *,
    code: str,
    name: str,
    kind: str,
    edrpou: str = "",
    parent: Organisation | None = None,
    address: str = "",
) -> Organisation:
    return Organisation.objects.create(
        code=code, name=name, kind=kind, edrpou=edrpou, parent=parent, address=address
    )


def organisation_ensure(*, code: str, kind: str, name: str = "") -> tuple[Organisation, bool]:
    """The organisation with this code, registered on first use (by the information centre's command line).

    Raises ValueError when the code belongs to an organisation of another kind.
    """
    code = code.strip()
    if not code or len(code) > 32:
        raise ValueError(f"not an organisation code: {code!r}")
    org, created = Organisation.objects.get_or_create(
        code=code, defaults={"name": name or code, "kind": kind}
    )
    if org.kind != kind:
        raise ValueError(f"{code} is a {org.kind}, not a {kind}")
    return org, created


def service_ensure(*, code: str, name: str) -> Service:
    service, _ = Service.objects.get_or_create(code=code, defaults={"name": name})
    return service


def provider_service_add(
    *, provider: Organisation, service: Service, aliases: list[str] | None = None
) -> None:
    ProviderService.objects.get_or_create(provider=provider, service=service)
    for alias in aliases or []:
        ServiceAlias.objects.get_or_create(provider=provider, alias=alias, defaults={"service": service})


def user_create(
    *,
    username: str,
    password: str,
    organisation: Organisation,
    role: str,
    full_name: str = "",
    password_hash: str | None = None,
) -> User:
    """Create a user acting for one organisation. `password_hash` (from make_password) skips re-hashing."""
    if ROLE_ORG_KIND[role] != organisation.kind:
        raise RoleMismatch(f"role {role} cannot act for a {organisation.kind}")
    first, _, last = full_name.partition(" ")
    user = User(username=username, organisation=organisation, role=role, first_name=first, last_name=last)
    if role == Role.ADMIN:
        # the information centre runs the hub: Django's admin is its tool
        user.is_staff = user.is_superuser = True
    if password_hash:
        user.password = password_hash
    else:
        user.set_password(password)
    user.save()
    return user


def api_token_digest(plain: str) -> str:
    """What is stored of a token (and looked up by): its SHA-256, in hex."""
    return hashlib.sha256(plain.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the plain text is returned once and never stored."""
    plain = "mz_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=plain[:8], digest=api_token_digest(plain))
    return token, plain


def api_token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def _token_sql(connection: Any) -> str:
    qn = connection.ops.quote_name
    return (
        f"SELECT t.{qn('id')}, t.{qn('last_used_at')}, {rows.columns(connection, User, 'u')}, "
        f"{rows.columns(connection, Organisation, 'o')} "
        f"FROM {qn(ApiToken._meta.db_table)} t "
        f"JOIN {qn(User._meta.db_table)} u ON u.{qn('id')} = t.{qn('user_id')} "
        f"JOIN {qn(Organisation._meta.db_table)} o ON o.{qn('id')} = u.{qn('organisation_id')} "
        f"WHERE t.{qn('digest')} = %s AND t.{qn('revoked_at')} IS NULL"
    )


def api_token_authenticate(*, plain: str) -> User | None:
    """The active user of an unrevoked token, with its organisation loaded; None otherwise.

    One hand-written SELECT (token → user → organisation): it runs on every API request, and the
    ORM's compilation of the same join cost more than the query itself.
    """
    with rows.hot_cursor(connection) as cursor:
        cursor.execute(
            rows.statement(connection, "api_token_authenticate", _token_sql), [api_token_digest(plain)]
        )
        row = cursor.fetchone()
    if row is None:  # unknown or revoked token, or a user acting for no organisation
        return None
    n = rows.width(User)
    user = rows.instance(connection, User, row[2 : 2 + n])
    if not user.is_active:
        return None
    user.organisation = rows.instance(connection, Organisation, row[2 + n :])
    token_id, last_used_at = row[0], rows.value(connection, ApiToken, "last_used_at", row[1])
    now = timezone.now()
    if last_used_at is None or (now - last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    return user
