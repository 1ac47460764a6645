"""Writes: organisations, services, service aliases, users and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop as N_
from schwifty import IBAN
from schwifty.exceptions import InvalidBankCode, InvalidChecksumDigits, InvalidLength, SchwiftyException
from stdnum.exceptions import InvalidChecksum as StdnumChecksum
from stdnum.exceptions import ValidationError as StdnumInvalid
from stdnum.ua import edrpou as stdnum_edrpou

from merezha.core.reasons import message_localise
from merezha.core.roles import ROLE_ORG_KIND, OrgKind, Role
from merezha.organisations.locks import organisation_lock
from merezha.organisations.models import ApiToken, Organisation, ProviderService, Service, ServiceAlias, User
from merezha.organisations.selectors import service_spelling_key

if TYPE_CHECKING:
    from merezha.registry.models import Building

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


class Invalid(ValueError):
    """Input the rules refuse, with every reason at once: `(field, template, values)` each.

    `str()` is the English text (the command line's and the API's answer); `localised()` gives each
    field's reasons in the reader's language, through gettext, for a form to show beside its fields.
    """

    def __init__(self, errors: list[tuple[str, str, dict[str, Any]]]) -> None:
        self.errors = errors
        super().__init__("; ".join(template.format(**values) for _f, template, values in errors))

    def localised(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for field, template, values in self.errors:
            out.setdefault(field, []).append(message_localise(template, values))
        return out


CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}")
CODE_INVALID = N_(
    "the code {code} must be 1 to 32 Latin letters, digits, '-', '_' or '.', starting with a letter or digit"
)
CODE_EMPTY = N_("the code is empty")
CODE_TAKEN = N_("the code {code} is already registered: {kind} {name}")
NAME_EMPTY = N_("the name is empty")
NAME_TOO_LONG = N_("the name is {length} characters long: at most {limit}")
KIND_UNKNOWN = N_("choose the kind of organisation")
EDRPOU_CHECK_DIGIT = N_("EDRPOU {value}: wrong check digit")
EDRPOU_FORMAT = N_("EDRPOU {value}: not 8 digits")
IBAN_LENGTH = N_("IBAN {value}: wrong length")
IBAN_CHECK_DIGITS = N_("IBAN {value}: wrong check digits")
IBAN_BANK = N_("IBAN {value}: unknown bank code")
IBAN_FORMAT = N_("IBAN {value}: not an IBAN")
IBAN_NOT_UA = N_("IBAN {value}: a Ukrainian account starts with UA")
PARENT_NOT_OPERATOR = N_("the operator {code} is not a payment operator")
PARENT_ONLY_POINT = N_("only a payment point has an operator")
IBAN_ONLY_POINT = N_("only a payment point or its operator has a collecting account")
ADDRESS_TOO_LONG = N_("the address is {length} characters long: at most {limit}")

#: Kinds an organisation may be registered as through the command line and the pages
REGISTERED_KINDS = (
    OrgKind.PROVIDER,
    OrgKind.HOUSING_OFFICE,
    OrgKind.PAYMENT_POINT,
    OrgKind.PAYMENT_OPERATOR,
    OrgKind.SUBSIDY_OFFICE,
    OrgKind.INFO_CENTRE,
    OrgKind.CITY,
)


def edrpou_clean(text: str) -> str:
    """An ЄДРПОУ code (8 digits, check digit verified by python-stdnum), blanks dropped; "" for none.

    Raises Invalid (field `edrpou`) with the reason.
    """
    value = "".join((text or "").split())
    if not value:
        return ""
    try:
        return str(stdnum_edrpou.validate(value))
    except StdnumChecksum:
        raise Invalid([("edrpou", EDRPOU_CHECK_DIGIT, {"value": value})]) from None
    except StdnumInvalid:
        raise Invalid([("edrpou", EDRPOU_FORMAT, {"value": value})]) from None


def iban_clean(text: str, *, field: str = "iban") -> str:
    """A Ukrainian IBAN checked by schwifty (length, check digits, bank code), in its compact form;
    "" for none. Raises Invalid (field `field`) with the reason."""
    value = "".join((text or "").split()).upper()
    if not value:
        return ""
    if not value.startswith("UA"):
        raise Invalid([(field, IBAN_NOT_UA, {"value": value})])
    try:
        return str(IBAN(value).compact)
    except InvalidLength:
        raise Invalid([(field, IBAN_LENGTH, {"value": value})]) from None
    except InvalidChecksumDigits:
        raise Invalid([(field, IBAN_CHECK_DIGITS, {"value": value})]) from None
    except InvalidBankCode:
        raise Invalid([(field, IBAN_BANK, {"value": value})]) from None
    except SchwiftyException:
        raise Invalid([(field, IBAN_FORMAT, {"value": value})]) from None


def _organisation_errors(
    *,
    kind: str,
    name: str,
    edrpou: str,
    parent: Organisation | None,
    address: str,
    iban: str,
) -> tuple[list[tuple[str, str, dict[str, Any]]], dict[str, str]]:
    """Every reason to refuse an organisation's fields, and the cleaned identifiers."""
    errors: list[tuple[str, str, dict[str, Any]]] = []
    clean = {
        "edrpou": "",
        "iban": "",
        "name": " ".join((name or "").split()),
        "address": (address or "").strip(),
    }
    if not clean["name"]:
        errors.append(("name", NAME_EMPTY, {}))
    elif len(clean["name"]) > 200:
        errors.append(("name", NAME_TOO_LONG, {"length": len(clean["name"]), "limit": 200}))
    if len(clean["address"]) > 200:
        errors.append(("address", ADDRESS_TOO_LONG, {"length": len(clean["address"]), "limit": 200}))
    try:
        clean["edrpou"] = edrpou_clean(edrpou)
    except Invalid as exc:
        errors += exc.errors
    try:
        clean["iban"] = iban_clean(iban)
    except Invalid as exc:
        errors += exc.errors
    if clean["iban"] and kind not in (OrgKind.PAYMENT_POINT, OrgKind.PAYMENT_OPERATOR):
        errors.append(("iban", IBAN_ONLY_POINT, {}))
    if parent is not None:
        if kind != OrgKind.PAYMENT_POINT:
            errors.append(("parent", PARENT_ONLY_POINT, {}))
        elif parent.kind != OrgKind.PAYMENT_OPERATOR:
            errors.append(("parent", PARENT_NOT_OPERATOR, {"code": parent.code}))
    return errors, clean


def _taken(existing: Organisation) -> dict[str, Any]:
    # the kind's label stays lazy: the command line reads it in English, a page in the reader's language
    return {"code": existing.code, "kind": OrgKind(existing.kind).label, "name": existing.name}


@transaction.atomic
def organisation_register(
    *,
    kind: str,
    code: str,
    name: str,
    edrpou: str = "",
    parent: Organisation | None = None,
    address: str = "",
    iban: str = "",
) -> tuple[Organisation, bool]:
    """Register an organisation: the explicit step before any of its files or users arrive.

    Idempotent: an organisation of this kind with this code is returned as it is (False) and
    nothing changes. Raises Invalid with every reason at once: a code that is not 1 to 32 Latin
    letters, digits, `-`, `_`, `.`, or that another kind holds; an empty name; an ЄДРПОУ that is not
    8 digits with a valid check digit (python-stdnum); an IBAN that is not Ukrainian or fails
    schwifty's checks; an operator (parent) for anything but a payment point, or one that is not a
    payment operator; a collecting IBAN for anything but a payment point or operator.
    """
    errors: list[tuple[str, str, dict[str, Any]]] = []
    code = (code or "").strip()
    if kind not in REGISTERED_KINDS:
        errors.append(("kind", KIND_UNKNOWN, {}))
    if not code:
        errors.append(("code", CODE_EMPTY, {}))
    elif not CODE_RE.fullmatch(code):
        errors.append(("code", CODE_INVALID, {"code": repr(code)}))
    else:
        existing = Organisation.objects.filter(code=code).first()
        if existing is not None and existing.kind == kind:
            return existing, False
        if existing is not None:
            errors.append(("code", CODE_TAKEN, _taken(existing)))
    more, clean = _organisation_errors(
        kind=kind, name=name, edrpou=edrpou, parent=parent, address=address, iban=iban
    )
    errors += more
    if errors:
        raise Invalid(errors)
    try:
        with transaction.atomic():
            org = organisation_create(
                code=code,
                name=clean["name"],
                kind=kind,
                edrpou=clean["edrpou"],
                parent=parent,
                address=clean["address"],
            )
    except IntegrityError:  # registered meanwhile: the same kind is the same organisation
        existing = Organisation.objects.get(code=code)
        if existing.kind == kind:
            return existing, False
        raise Invalid([("code", CODE_TAKEN, _taken(existing))]) from None
    if clean["iban"]:
        org.iban = clean["iban"]
        org.save(update_fields=["iban"])
    return org, True


@transaction.atomic
def organisation_update(
    *,
    organisation: Organisation,
    name: str,
    edrpou: str = "",
    parent: Organisation | None = None,
    address: str = "",
    iban: str = "",
    is_active: bool = True,
) -> Organisation:
    """Change what the information centre keeps of an organisation; its code and kind never change.
    The same checks as `organisation_register`, all reasons at once (Invalid). Deactivating it
    revokes every API token of its users."""
    if parent is not None and parent.pk == organisation.pk:
        raise Invalid([("parent", PARENT_NOT_OPERATOR, {"code": parent.code})])
    errors, clean = _organisation_errors(
        kind=organisation.kind, name=name, edrpou=edrpou, parent=parent, address=address, iban=iban
    )
    if errors:
        raise Invalid(errors)
    organisation.name, organisation.edrpou, organisation.address = (
        clean["name"],
        clean["edrpou"],
        clean["address"],
    )
    deactivated = organisation.is_active and not is_active
    organisation.iban, organisation.parent, organisation.is_active = clean["iban"], parent, is_active
    organisation.save(update_fields=["name", "edrpou", "address", "iban", "parent", "is_active"])
    if deactivated:  # an organisation let out of the network: no system of it calls the API any more
        ApiToken.objects.filter(user__organisation=organisation, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    return organisation


NOT_A_PROVIDER = N_("{code} is not a provider")


@transaction.atomic
def provider_service_set(*, provider: Organisation, service_code: str, iban: str = "") -> ProviderService:
    """The provider offers this network service, paid to this IBAN (schwifty-checked; may be empty
    until the provider names it). Adds the service or changes its IBAN. Raises Invalid."""
    errors: list[tuple[str, str, dict[str, Any]]] = []
    if provider.kind != OrgKind.PROVIDER:
        errors.append(("service", NOT_A_PROVIDER, {"code": provider.code}))
    service = Service.objects.filter(code=(service_code or "").strip()).first()
    if service is None:
        errors.append(("service", ALIAS_UNKNOWN_SERVICE, {"service": repr(service_code)}))
    clean = ""
    try:
        clean = iban_clean(iban)
    except Invalid as exc:
        errors += exc.errors
    if errors:
        raise Invalid(errors)
    assert service is not None
    ps, _created = ProviderService.objects.get_or_create(provider=provider, service=service)
    if ps.iban != clean:
        ps.iban = clean
        ps.save(update_fields=["iban"])
    return ps


BUILDING_NO_STREET = N_("choose a street")
BUILDING_NO_HOUSE = N_("the house number is empty")
BUILDING_HELD = N_("the building is in the register of {office}, which still has {count} dwelling(s) in it")
NOT_AN_OFFICE = N_("{code} is not a housing office")


@transaction.atomic
def housing_office_building_assign(*, office: Organisation, street_id: int | None, house: str) -> Building:
    """The building at this street and house number is kept by this housing office; a building the
    city register does not have yet is added for it.

    The rule is the register import's: another office's building passes to this one only when
    that office has no active dwelling left in it (Invalid otherwise). The office's next register
    then lists its dwellings.
    """
    from merezha.registry.matching import house_key, house_text
    from merezha.registry.models import Building, Dwelling, Street

    errors: list[tuple[str, str, dict[str, Any]]] = []
    if office.kind != OrgKind.HOUSING_OFFICE:
        errors.append(("office", NOT_AN_OFFICE, {"code": office.code}))
    street = Street.objects.filter(pk=street_id).first() if street_id and 0 < street_id <= MAX_ID else None
    if street is None:
        errors.append(("street", BUILDING_NO_STREET, {}))
    key = house_key(house or "")
    if not key:
        errors.append(("house", BUILDING_NO_HOUSE, {}))
    if errors:
        raise Invalid(errors)
    assert street is not None
    organisation_lock(organisation_id=office.pk)
    building = Building.objects.select_for_update().filter(street=street, key=key).first()
    if building is None:
        return Building.objects.create(street=street, number=house_text(house), key=key, office=office)
    if building.office_id not in (None, office.pk):
        held = Dwelling.objects.filter(building=building, is_active=True).exclude(office=office).count()
        if held:
            raise Invalid(
                [("house", BUILDING_HELD, {"office": building.office.code, "count": held})]  # type: ignore[union-attr]
            )
    if building.office_id != office.pk:
        building.office = office
        building.save(update_fields=["office"])
    return building


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
        return message_localise(self.template, self.values)


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


USERNAME_INVALID = N_("the login {username} must be 1 to 150 letters, digits or @.+-_")
USERNAME_TAKEN = N_("the login {username} is taken")
NO_ROLE_FOR_KIND = N_("a {kind} has no users")
CANNOT_DEACTIVATE_SELF = N_("you cannot deactivate yourself")
PASSWORD_REFUSED = N_("password: {reason}")
PASSWORD_TOO_SHORT = N_("the password must be at least {limit} characters long")
#: the shortest password a user registered on the pages gets (Django's validators may ask more)
PASSWORD_MIN_LENGTH = 8


def role_for_kind(kind: str) -> str | None:
    """The one role a user of this organisation kind acts in (None: the kind has no users)."""
    return next((role for role, k in ROLE_ORG_KIND.items() if k == kind), None)


@transaction.atomic
def user_register(
    *,
    organisation: Organisation,
    username: str,
    password: str,
    full_name: str = "",
    is_org_admin: bool = False,
) -> User:
    """A new user of an organisation, in the role of its kind (a cashier for a payment point, …).

    Raises Invalid with every reason at once: a login that is not 1 to 150 letters, digits or
    `@.+-_` or is taken (ignoring case), a password shorter than 8 characters or one that Django's
    validators (`AUTH_PASSWORD_VALIDATORS`) refuse, an organisation
    kind that has no users (a payment operator).
    """
    from django.contrib.auth.password_validation import validate_password
    from django.contrib.auth.validators import UnicodeUsernameValidator
    from django.core.exceptions import ValidationError

    errors: list[tuple[str, str, dict[str, Any]]] = []
    username = (username or "").strip()
    try:
        if not username or len(username) > 150:
            raise ValidationError("")
        UnicodeUsernameValidator()(username)
    except ValidationError:
        errors.append(("username", USERNAME_INVALID, {"username": repr(username)}))
    else:
        if User.objects.filter(username__iexact=username).exists():
            errors.append(("username", USERNAME_TAKEN, {"username": username}))
    role = role_for_kind(organisation.kind)
    if role is None:
        errors.append(("organisation", NO_ROLE_FOR_KIND, {"kind": organisation.get_kind_display()}))
    if len(password or "") < PASSWORD_MIN_LENGTH:
        errors.append(("password", PASSWORD_TOO_SHORT, {"limit": PASSWORD_MIN_LENGTH}))
    try:
        validate_password(password or "", User(username=username))
    except ValidationError as exc:
        errors += [("password", PASSWORD_REFUSED, {"reason": str(m)}) for m in exc.messages]
    if errors:
        raise Invalid(errors)
    assert role is not None
    user = user_create(
        username=username,
        password=password,
        organisation=organisation,
        role=role,
        full_name=full_name.strip(),
    )
    if is_org_admin:
        user.is_org_admin = True
        user.save(update_fields=["is_org_admin"])
    return user


def user_update(*, user: User, full_name: str, is_org_admin: bool) -> User:
    """Change a user's name and whether it administers its organisation's users and tokens."""
    first, _sep, last = " ".join((full_name or "").split()).partition(" ")
    user.first_name, user.last_name, user.is_org_admin = first[:150], last[:150], is_org_admin
    user.save(update_fields=["first_name", "last_name", "is_org_admin"])
    return user


@transaction.atomic
def user_set_active(*, user: User, active: bool, by: User) -> User:
    """Deactivate a user (it can no longer log in, and every token of it is revoked) or let it back
    in (its old tokens stay revoked: it is issued new ones). Nobody deactivates themselves."""
    if not active and user.pk == by.pk:
        raise Invalid([("user", CANNOT_DEACTIVATE_SELF, {})])
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
    if not active:
        api_tokens_revoke_all(user=user)
    return user


def api_token_digest(plain: str) -> str:
    """What is stored of a token (and looked up by): its SHA-256, in hex."""
    return hashlib.sha256(plain.encode()).hexdigest()


TOKEN_NAME_EMPTY = N_("the token's name is empty")
TOKEN_NAME_TOO_LONG = N_("the token's name is {length} characters long: at most {limit}")
TOKEN_EXPIRES_PAST = N_("the expiry date must be in the future")
TOKEN_USER_INACTIVE = N_("{username} is deactivated or acts for no organisation: it gets no token")


def api_token_errors(
    *, user: User, name: str, expires_at: dt.datetime | None
) -> list[tuple[str, str, dict[str, Any]]]:
    """Every reason `api_token_create` would refuse these (a form asks it to show them all at once)."""
    errors: list[tuple[str, str, dict[str, Any]]] = []
    name = " ".join((name or "").split())
    if not name:
        errors.append(("name", TOKEN_NAME_EMPTY, {}))
    elif len(name) > 100:
        errors.append(("name", TOKEN_NAME_TOO_LONG, {"length": len(name), "limit": 100}))
    if expires_at is not None and expires_at <= timezone.now():
        errors.append(("expires_on", TOKEN_EXPIRES_PAST, {}))
    if not user.is_active or not user.organisation_id:
        errors.append(("user", TOKEN_USER_INACTIVE, {"username": user.username}))
    return errors


@transaction.atomic
def api_token_create(
    *, user: User, name: str, expires_at: dt.datetime | None = None, issued_by: User | None = None
) -> tuple[ApiToken, str]:
    """Issue a token acting as `user` (in its role, for its organisation) until `expires_at` (None:
    until revoked). The plain text is returned once and never stored: only its SHA-256.

    Raises Invalid: an empty or over-long name, an expiry not in the future, a deactivated user or
    one acting for no organisation.
    """
    name = " ".join((name or "").split())
    errors = api_token_errors(user=user, name=name, expires_at=expires_at)
    if errors:
        raise Invalid(errors)
    plain = "mz_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=plain[:8],
        digest=api_token_digest(plain),
        expires_at=expires_at,
        issued_by=issued_by,
    )
    return token, plain


def api_token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


@transaction.atomic
def api_token_rotate(*, token: ApiToken, issued_by: User | None = None) -> tuple[ApiToken, str]:
    """Replace a token: the old one is revoked now, a new one with the same name and the same
    lifetime from now (none if the old had none) is issued, its plain text returned once."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    expires_at = None
    if locked.expires_at is not None:
        expires_at = timezone.now() + max(locked.expires_at - locked.created_at, dt.timedelta(minutes=1))
    api_token_revoke(token=locked)
    return api_token_create(user=locked.user, name=locked.name, expires_at=expires_at, issued_by=issued_by)


def api_tokens_revoke_all(*, user: User) -> int:
    """Revoke every live token of the user; how many were live."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_token_authenticate(*, plain: str) -> User | None:
    """The active user of an unrevoked, unexpired token, with its organisation loaded; None
    otherwise (also for a user acting for no organisation). One query (token → user →
    organisation); the token's `last_used_at` is written at most once a minute."""
    now = timezone.now()
    try:
        token = ApiToken.objects.select_related("user__organisation").get(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            digest=api_token_digest(plain),
            revoked_at__isnull=True,
            user__organisation__isnull=False,
        )
    except ApiToken.DoesNotExist:
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
