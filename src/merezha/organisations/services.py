"""Writes: organisations, services, service aliases, users and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_

from merezha.core import rows
from merezha.core.roles import ROLE_ORG_KIND, Role
from merezha.organisations.locks import organisation_lock
from merezha.organisations.models import ApiToken, Organisation, ProviderService, Service, ServiceAlias, User
from merezha.organisations.selectors import service_spelling_key

#: the largest id a (big integer) primary key holds
MAX_ID = 2**63 - 1


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


#: the longest alias (the column's width)
ALIAS_MAX_LENGTH = 64


class ServiceAliasRefused(ValueError):
    """An alias the rules refuse. `str()` is the English reason (the API's answer); `localised()` the
    reader's, through gettext. `template` is the English text with `{name}` where a value goes."""

    def __init__(self, template: str, **values: Any) -> None:
        self.template, self.values = template, values
        super().__init__(template.format(**values))

    def localised(self) -> str:
        return gettext(self.template).format(**self.values)


ALIAS_EMPTY = N_("the alias is empty")
ALIAS_TOO_LONG = N_("the alias is {length} characters long: it must be 1 to {limit} characters")
ALIAS_CONTROL = N_("the alias must not contain a control character")
ALIAS_IS_A_CODE = N_("{alias} is a network service code: it needs no alias")
ALIAS_TAKEN = N_("you already have the alias {alias}: aliases are compared ignoring case")
ALIAS_UNKNOWN_SERVICE = N_("unknown service {service}: not a network service code")


@transaction.atomic
def service_alias_add(*, provider: Organisation, alias: str, service_code: str) -> ServiceAlias:
    """Register the provider's own spelling of a network service for its snapshots' `service` column.

    The alias is stripped and holds 1 to 64 characters. It is refused (ServiceAliasRefused) when it
    is empty, spells a network service code in any case, or spells another alias of this provider in
    any case (the import compares them lower-cased: two such aliases would map unpredictably); and
    when `service_code` is no network service code. The case-insensitive check runs under a lock of
    the provider's row, so two concurrent adds of `ХВП` and `хвп` cannot both pass it; the exact
    duplicate is left to the unique constraint.
    """
    text = alias.strip()
    if not text:
        raise ServiceAliasRefused(ALIAS_EMPTY)
    if len(text) > ALIAS_MAX_LENGTH:
        raise ServiceAliasRefused(ALIAS_TOO_LONG, length=len(text), limit=ALIAS_MAX_LENGTH)
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text):  # PostgreSQL refuses NUL in text
        raise ServiceAliasRefused(ALIAS_CONTROL)
    codes = dict(Service.objects.values_list("code", "pk"))
    code = service_code.strip()
    if code not in codes:
        raise ServiceAliasRefused(ALIAS_UNKNOWN_SERVICE, service=repr(service_code))
    key = service_spelling_key(text)  # as the import compares the file's spellings
    if any(key == service_spelling_key(c) for c in codes):
        raise ServiceAliasRefused(ALIAS_IS_A_CODE, alias=repr(text))
    organisation_lock(organisation_id=provider.pk)
    for other in ServiceAlias.objects.filter(provider=provider).values_list("alias", flat=True):
        if service_spelling_key(other) == key:
            raise ServiceAliasRefused(ALIAS_TAKEN, alias=repr(other))
    try:
        with transaction.atomic():
            return ServiceAlias.objects.create(provider=provider, alias=text, service_id=codes[code])
    except IntegrityError:  # the same spelling, added meanwhile by a transaction the lock did not order
        raise ServiceAliasRefused(ALIAS_TAKEN, alias=repr(text)) from None


def service_alias_remove(*, provider: Organisation, alias_id: int) -> bool:
    """Remove one of the provider's aliases; False when it has no alias with this id.

    Accounts keep their service: only later snapshots stop accepting the alias.
    """
    if not 0 < alias_id <= MAX_ID:
        return False
    deleted, _ = ServiceAlias.objects.filter(provider=provider, pk=alias_id).delete()
    return deleted > 0


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
