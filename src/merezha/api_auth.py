"""Authentication and the role check of the JSON API (kept apart from merezha.api so routers can import it)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer

from merezha.organisations.services import api_token_authenticate


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(plain=token)
        if user is not None:
            request.user = user
        return user


def require_role(request: HttpRequest, *roles: str) -> Any:
    """The caller, when it acts in one of `roles`; otherwise 403."""
    user = request.user
    if not getattr(user, "is_authenticated", False) or not user.has_role(*roles):  # type: ignore[union-attr]
        raise HttpError(403, "forbidden for this role")
    return user
