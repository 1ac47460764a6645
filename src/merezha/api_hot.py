"""Hot routes of the JSON API: a request answered before URL routing and django-ninja.

The API's busiest write, a cashier's payment (`POST /api/v1/payments`), spends more time in the
framework around it (URL resolving, ninja's authentication, parameter and response handling, and
the token check's own round trip) than in its one database statement. Its hot path
(`merezha.payments.api.payments_create_hot`) answers the common case, an ordinary new payment by
an active cashier, with the token check folded into that statement. For every other request it
returns None and the route answers as usual: the ninja route stays the API's definition (schema,
errors, OpenAPI) and the hot path must answer exactly as it does (tests/test_api_hot.py).

The middleware is the last of settings.API_MIDDLEWARE: the security headers, the language and the
host check of the other middleware apply to a hot answer as to any other. `API_HOT_ROUTES=0` in
the environment turns the hot routes off.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

HotRoute = Callable[[HttpRequest], HttpResponse | None]


def hot_routes() -> dict[tuple[str, str], HotRoute]:
    """(method, path) → the hot path that answers it first. None on SQLite: the payment's hot path
    is one PostgreSQL statement, and would only parse each request to step aside."""
    from merezha.payments.api import payments_create_hot

    if connection.vendor != "postgresql":
        return {}
    return {("POST", reverse("api:payments_create")): payments_create_hot}


class ApiHotRouteMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.routes: dict[tuple[str, str], HotRoute] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.routes is None:  # on the first request: the URLconf is loaded by then
            self.routes = hot_routes()
        hot = self.routes.get((request.method or "", request.path_info))
        if hot is not None and settings.API_HOT_ROUTES:
            response = hot(request)
            if response is not None:
                return response
        return self.get_response(request)
