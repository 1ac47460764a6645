"""Authentication and the role check of the JSON API (kept apart from merezha.api so routers can import it).

Failed bearer tokens are throttled per client address: after settings.API_TOKEN_FAILURE_LIMIT
tokens refused within settings.API_TOKEN_FAILURE_WINDOW seconds, every bearer-token request from
that address answers 429 with `Retry-After` until the window ends, a valid token's too, so that a
guess can no longer be told from a refusal. The counter lives in Django's cache ("default").
"""

from __future__ import annotations

import math
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer

from merezha.organisations.services import api_token_authenticate


class TokensThrottled(Exception):
    """Too many refused tokens from one address: 429, retry after `wait` seconds."""

    def __init__(self, wait: int) -> None:
        super().__init__(wait)
        self.wait = wait


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind settings.TRUSTED_PROXY_COUNT reverse proxies
    the address the nearest of them saw, from X-Forwarded-For (the same rule as the login's)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


def _keys(address: str) -> tuple[str, str]:
    return f"api-token-failures:{address}", f"api-token-failures-until:{address}"


def token_failures_wait(address: str) -> int:
    """Seconds until `address` may try tokens again (0: it may now)."""
    count_key, until_key = _keys(address)
    if (cache.get(count_key) or 0) < settings.API_TOKEN_FAILURE_LIMIT:
        return 0
    until = cache.get(until_key)
    return max(1, math.ceil(until - time.time())) if until else 0


def token_failure_record(address: str) -> None:
    """Count one refused token of `address` in its current window (the first failure opens one)."""
    count_key, until_key = _keys(address)
    window = settings.API_TOKEN_FAILURE_WINDOW
    cache.add(until_key, time.time() + window, window)
    cache.add(count_key, 0, window)
    try:
        cache.incr(count_key)
    except ValueError:  # expired between add and incr
        cache.add(count_key, 1, window)


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        address = client_address(request)
        wait = token_failures_wait(address)
        if wait:
            raise TokensThrottled(wait)
        user = api_token_authenticate(plain=token)
        if user is not None:
            request.user = user
        else:
            token_failure_record(address)
        return user


def require_role(request: HttpRequest, *roles: str) -> Any:
    """The caller, when it acts in one of `roles`; otherwise 403."""
    user = request.user
    if not getattr(user, "is_authenticated", False) or not user.has_role(*roles):  # type: ignore[union-attr]
        raise HttpError(403, "forbidden for this role")
    return user
