"""One permission check for views and API routes: role and organisation scope.

A view states who may call it with `@role_required(Role.X, ...)`; anyone else gets 403
(an anonymous visitor is sent to the login page). Objects of another organisation are
looked up through selectors scoped by the caller's organisation and therefore answer 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from merezha.organisations.models import User


def user_has_role(user: Any, *roles: str) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role(*roles))


def role_required(*roles: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.allowed_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator


class MemberRequest(HttpRequest):
    """The request of a view behind `role_required`: its user is signed in, an organisation's `User`.

    For type checking only: a view annotated with it may hand `request.user` to a service that
    needs the member."""

    user: User


def org_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """An organisation's own administrator (`User.is_org_admin`, any role, an active user of an
    organisation) may call the view; anyone else gets 403, a visitor the login page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (
            user.is_active and getattr(user, "organisation_id", None) and getattr(user, "is_org_admin", False)
        ):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.org_admin_only = True  # type: ignore[attr-defined]
    return wrapped
