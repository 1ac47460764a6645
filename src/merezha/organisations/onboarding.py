"""The information centre's onboarding pages (`/centre/…`) and the organisation administrator's
token pages (`/organisation/…`).

Who may call what:
- `/centre/…`: information centre administrators (role admin) only; everyone else 403.
- `/organisation/…`: an organisation's own administrator (`User.is_org_admin`), for its own
  organisation's users only: another organisation's user or token answers 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from merezha.core.confirm import confirmation_needed, token_revoke_confirmation
from merezha.core.roles import OrgKind, Role
from merezha.organisations import selectors
from merezha.organisations.forms import (
    BuildingAssignForm,
    OrganisationForm,
    ProviderServiceForm,
    TokenIssueForm,
    UserEditForm,
    UserForm,
    form_add_invalid,
)
from merezha.organisations.models import Organisation, User
from merezha.organisations.permissions import org_admin_required, role_required
from merezha.organisations.services import (
    Invalid,
    api_token_create,
    api_token_errors,
    api_token_revoke,
    api_token_rotate,
    housing_office_building_assign,
    organisation_register,
    organisation_update,
    provider_service_set,
    role_for_kind,
    user_register,
    user_set_active,
    user_update,
)

#: the URL names of each scope's token pages
SCOPES = {
    "centre": {"user": "centre-user", "issue": "centre-token-issue", "rotate": "centre-token-rotate",
               "revoke": "centre-token-revoke", "back": "centre-organisation"},
    "org": {"user": "org-user", "issue": "org-token-issue", "rotate": "org-token-rotate",
            "revoke": "org-token-revoke", "back": "org-users"},
}  # fmt: skip


def _messages_of(request: HttpRequest, exc: Invalid) -> None:
    """Every reason of `exc` as a message on the next page (an action with no form of its own)."""
    for reasons in exc.localised().values():
        for reason in reasons:
            messages.error(request, reason)


def _organisation_or_404(organisation_id: int) -> Organisation:
    org = selectors.organisation_get_by_id(organisation_id=organisation_id)
    if org is None:
        raise Http404
    return org


def _streets() -> list[tuple[int, str]]:
    from merezha.registry.selectors import street_list

    return [(s.pk, f"{s.type} {s.name}") for s in street_list()]


# --- organisations -----------------------------------------------------------------------------
@role_required(Role.ADMIN)
def organisations(request: HttpRequest) -> HttpResponse:
    """Information centre: every organisation, by kind."""
    kind = request.GET.get("kind", "")
    kinds = [(k.value, k.label) for k in OrgKind]
    orgs = selectors.organisation_list(kind=kind if kind in OrgKind.values else None).select_related("parent")
    return render(
        request,
        "organisations/centre/organisations.html",
        {"organisations": orgs, "kinds": kinds, "kind": kind},
    )


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def organisation_new(request: HttpRequest) -> HttpResponse:
    """Information centre: register an organisation of any kind."""
    operators = list(selectors.payment_operator_list())
    form = OrganisationForm(
        request.POST or None, operators=operators, initial={"kind": request.GET.get("kind", "")}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            org, created = organisation_register(
                kind=d["kind"], code=d["code"], name=d["name"], edrpou=d["edrpou"],
                parent=form.parent_organisation(), address=d["address"], iban=d["iban"],
            )  # fmt: skip
        except Invalid as exc:
            form_add_invalid(form, exc)
        else:
            if created:
                messages.success(request, _("Registered %(name)s.") % {"name": org.name})
            else:
                messages.info(
                    request, _("%(code)s was already registered: nothing changed.") % {"code": org.code}
                )
            return redirect("centre-organisation", org.pk)
    return render(request, "organisations/centre/organisation_new.html", {"form": form}, status=_status(form))


def _status(form: object) -> int:
    """200, or 422 for a form answered with its errors (a test or a script tells them apart)."""
    return 422 if getattr(form, "is_bound", False) and getattr(form, "errors", None) else 200


def _organisation_page(
    request: HttpRequest,
    org: Organisation,
    *,
    form: OrganisationForm | None = None,
    service_form: ProviderServiceForm | None = None,
    building_form: BuildingAssignForm | None = None,
    user_form: UserForm | None = None,
) -> HttpResponse:
    operators = [o for o in selectors.payment_operator_list() if o.pk != org.pk]
    if form is None:
        form = OrganisationForm(
            operators=operators,
            editing=org.kind,
            initial={
                "name": org.name, "edrpou": org.edrpou, "address": org.address, "iban": org.iban,
                "parent": str(org.parent_id or ""), "is_active": org.is_active,
            },
        )  # fmt: skip
    context: dict[str, object] = {"org": org, "form": form, "role": role_for_kind(org.kind)}
    if org.kind == OrgKind.PROVIDER:
        context["provider_services"] = selectors.provider_service_list(provider=org)
        context["service_form"] = service_form or ProviderServiceForm(
            prefix="service", services=selectors.service_names()
        )
    if org.kind == OrgKind.HOUSING_OFFICE:
        context["buildings"] = selectors.building_list(office=org)
        context["building_form"] = building_form or BuildingAssignForm(prefix="building", streets=_streets())
    if org.kind == OrgKind.PAYMENT_OPERATOR:
        context["points"] = org.children.order_by("code")
    if role_for_kind(org.kind):
        context["users"] = selectors.organisation_user_list(organisation=org)
        context["user_form"] = user_form or UserForm(prefix="user")
    bound = [f for f in (form, service_form, building_form, user_form) if f is not None and f.is_bound]
    status = 422 if any(f.errors for f in bound) else 200
    return render(request, "organisations/centre/organisation.html", context, status=status)


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def organisation(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """Information centre: one organisation, its identifiers and, by kind, its services and IBANs,
    its buildings, its points, its users; the form changes its identifiers."""
    org = _organisation_or_404(organisation_id)
    if request.method == "GET":
        return _organisation_page(request, org)
    operators = [o for o in selectors.payment_operator_list() if o.pk != org.pk]
    form = OrganisationForm(request.POST, operators=operators, editing=org.kind)
    if form.is_valid():
        d = form.cleaned_data
        try:
            organisation_update(
                organisation=org, name=d["name"], edrpou=d["edrpou"], parent=form.parent_organisation(),
                address=d["address"], iban=form.value("iban"), is_active=d["is_active"],
            )  # fmt: skip
        except Invalid as exc:
            form_add_invalid(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("centre-organisation", org.pk)
    org.refresh_from_db()
    return _organisation_page(request, org, form=form)


@role_required(Role.ADMIN)
@require_POST
def provider_service(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """Information centre: a provider offers a network service, paid to an IBAN (added or changed)."""
    org = _organisation_or_404(organisation_id)
    if org.kind != OrgKind.PROVIDER:
        raise Http404
    form = ProviderServiceForm(request.POST, prefix="service", services=selectors.service_names())
    if form.is_valid():
        try:
            provider_service_set(
                provider=org, service_code=form.cleaned_data["service"], iban=form.cleaned_data["iban"]
            )
        except Invalid as exc:
            form_add_invalid(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("centre-organisation", org.pk)
    return _organisation_page(request, org, service_form=form)


@role_required(Role.ADMIN)
@require_POST
def office_building(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """Information centre: a building is kept by this housing office."""
    org = _organisation_or_404(organisation_id)
    if org.kind != OrgKind.HOUSING_OFFICE:
        raise Http404
    form = BuildingAssignForm(request.POST, prefix="building", streets=_streets())
    if form.is_valid():
        try:
            building = housing_office_building_assign(
                office=org, street_id=form.street_id(), house=form.cleaned_data["house"]
            )
        except Invalid as exc:
            form_add_invalid(form, exc)
        else:
            messages.success(
                request, _("%(building)s is kept by %(office)s.") % {"building": building, "office": org.name}
            )
            return redirect("centre-organisation", org.pk)
    return _organisation_page(request, org, building_form=form)


@role_required(Role.ADMIN)
@require_POST
def user_new(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """Information centre: a new user of an organisation, in the role of its kind."""
    org = _organisation_or_404(organisation_id)
    form = UserForm(request.POST, prefix="user")
    if form.is_valid():
        d = form.cleaned_data
        try:
            user = user_register(
                organisation=org, username=d["username"], password=d["password"],
                full_name=d["full_name"], is_org_admin=d["is_org_admin"],
            )  # fmt: skip
        except Invalid as exc:
            form_add_invalid(form, exc)
        else:
            messages.success(request, _("Added the user %(username)s.") % {"username": user.username})
            return redirect("centre-user", user.pk)
    return _organisation_page(request, org, user_form=form)


# --- users and their tokens: the centre for everyone, an organisation administrator for its own ---
def _managed_user(request: HttpRequest, user_id: int) -> User:
    user = selectors.user_get_managed(manager=request.user, user_id=user_id)  # type: ignore[arg-type]
    if user is None:
        raise Http404
    return user


def _user_page(
    request: HttpRequest,
    scope: str,
    user: User,
    *,
    token_form: TokenIssueForm | None = None,
    edit_form: UserEditForm | None = None,
    plain: str = "",
) -> HttpResponse:
    context = {
        "scope": scope,
        "urls": SCOPES[scope],
        "subject": user,
        "tokens": selectors.api_token_list(user=user),
        "token_form": token_form or TokenIssueForm(),
        "plain": plain,
    }
    if scope == "centre":
        context["edit_form"] = edit_form or UserEditForm(
            initial={"full_name": user.get_full_name(), "is_org_admin": user.is_org_admin}
        )
    bound = [f for f in (token_form, edit_form) if f is not None]
    status = 422 if any(f.errors for f in bound) else 200
    return render(request, "organisations/centre/user.html", context, status=status)


def _token_issue(request: HttpRequest, scope: str, user_id: int) -> HttpResponse:
    user = _managed_user(request, user_id)
    form = TokenIssueForm(request.POST)
    if not form.is_valid():  # show the service's reasons too, all at once
        d = {k: v for k, v in form.cleaned_data.items()}
        others = [
            e
            for e in api_token_errors(user=user, name=d.get("name", ""), expires_at=d.get("expires_on"))
            if e[0] not in form.errors
        ]
        if others:
            form_add_invalid(form, Invalid(others))
        return _user_page(request, scope, user, token_form=form)
    try:
        _token, plain = api_token_create(
            user=user,
            name=form.cleaned_data["name"],
            expires_at=form.cleaned_data["expires_on"],
            issued_by=request.user,  # type: ignore[arg-type]
        )
    except Invalid as exc:
        form_add_invalid(form, exc)
        return _user_page(request, scope, user, token_form=form)
    return _user_page(request, scope, user, plain=plain)  # the plain token: on this answer only


def _token_rotate(request: HttpRequest, scope: str, token_id: int) -> HttpResponse:
    token = selectors.api_token_get_managed(manager=request.user, token_id=token_id)  # type: ignore[arg-type]
    if token is None:
        raise Http404
    if token.revoked_at is not None:
        messages.error(request, _("A revoked token cannot be rotated: issue a new one."))
        return redirect(SCOPES[scope]["user"], token.user_id)
    try:
        _new, plain = api_token_rotate(token=token, issued_by=request.user)  # type: ignore[arg-type]
    except Invalid as exc:
        _messages_of(request, exc)
        return redirect(SCOPES[scope]["user"], token.user_id)
    return _user_page(request, scope, token.user, plain=plain)


def _token_revoke(request: HttpRequest, scope: str, token_id: int) -> HttpResponse:
    token = selectors.api_token_get_managed(manager=request.user, token_id=token_id)  # type: ignore[arg-type]
    if token is None:
        raise Http404
    if confirmation_needed(request):
        return token_revoke_confirmation(
            request, prefix=token.prefix, back=reverse(SCOPES[scope]["user"], args=[token.user_id])
        )
    api_token_revoke(token=token)
    messages.success(request, _("The token %(prefix)s… is revoked.") % {"prefix": token.prefix})
    return redirect(SCOPES[scope]["user"], token.user_id)


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def centre_user(request: HttpRequest, user_id: int) -> HttpResponse:
    """Information centre: a user of any organisation, its name, whether it administers its
    organisation, its API tokens."""
    user = _managed_user(request, user_id)
    if request.method == "POST":
        form = UserEditForm(request.POST)
        if form.is_valid():
            user_update(
                user=user,
                full_name=form.cleaned_data["full_name"],
                is_org_admin=form.cleaned_data["is_org_admin"],
            )
            messages.success(request, _("Saved."))
            return redirect("centre-user", user.pk)
        return _user_page(request, "centre", user, edit_form=form)
    return _user_page(request, "centre", user)


@role_required(Role.ADMIN)
@require_POST
def centre_user_active(request: HttpRequest, user_id: int) -> HttpResponse:
    """Information centre: deactivate a user (its tokens are revoked) or let it back in."""
    user = _managed_user(request, user_id)
    active = request.POST.get("active") == "1"
    try:
        user_set_active(user=user, active=active, by=request.user)  # type: ignore[arg-type]
    except Invalid as exc:
        _messages_of(request, exc)
    else:
        messages.success(request, _("Activated.") if active else _("Deactivated; its tokens are revoked."))
    return redirect("centre-user", user.pk)


@role_required(Role.ADMIN)
@require_POST
def centre_token_issue(request: HttpRequest, user_id: int) -> HttpResponse:
    """Information centre: issue a token to any user of an organisation; shown once."""
    return _token_issue(request, "centre", user_id)


@role_required(Role.ADMIN)
@require_POST
def centre_token_rotate(request: HttpRequest, token_id: int) -> HttpResponse:
    """Information centre: replace any user's token; the new one is shown once."""
    return _token_rotate(request, "centre", token_id)


@role_required(Role.ADMIN)
@require_POST
def centre_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Information centre: revoke any user's token."""
    return _token_revoke(request, "centre", token_id)


@role_required(Role.ADMIN)
def centre_tokens(request: HttpRequest) -> HttpResponse:
    """Information centre: every live token of the network, with its user, expiry and last use."""
    return render(request, "organisations/centre/tokens.html", {"tokens": selectors.api_token_list_live()})


@org_admin_required
def org_users(request: HttpRequest) -> HttpResponse:
    """Organisation administrator: its organisation's users."""
    manager: User = request.user  # type: ignore[assignment]
    users = selectors.user_list_managed(manager=manager).filter(organisation=manager.organisation)
    return render(request, "organisations/org_users.html", {"users": users.order_by("username")})


@org_admin_required
def org_user(request: HttpRequest, user_id: int) -> HttpResponse:
    """Organisation administrator: one of its users' API tokens (another organisation's user: 404)."""
    return _user_page(request, "org", _org_user(request, user_id))


def _org_user(request: HttpRequest, user_id: int) -> User:
    user = _managed_user(request, user_id)
    if user.organisation_id != request.user.organisation_id:  # type: ignore[union-attr]
        raise Http404  # an organisation administrator of the information centre manages only its own
    return user


@org_admin_required
@require_POST
def org_token_issue(request: HttpRequest, user_id: int) -> HttpResponse:
    """Organisation administrator: issue a token to one of its users; shown once."""
    _org_user(request, user_id)
    return _token_issue(request, "org", user_id)


@org_admin_required
@require_POST
def org_token_rotate(request: HttpRequest, token_id: int) -> HttpResponse:
    """Organisation administrator: replace one of its users' tokens."""
    _org_token(request, token_id)
    return _token_rotate(request, "org", token_id)


@org_admin_required
@require_POST
def org_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Organisation administrator: revoke one of its users' tokens."""
    _org_token(request, token_id)
    return _token_revoke(request, "org", token_id)


def _org_token(request: HttpRequest, token_id: int) -> None:
    token = selectors.api_token_get_managed(manager=request.user, token_id=token_id)  # type: ignore[arg-type]
    if token is None or token.user.organisation_id != request.user.organisation_id:  # type: ignore[union-attr]
        raise Http404
