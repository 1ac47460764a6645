"""Ukrainian by default: the interface language is the user's explicit choice, not the browser's.

Django's LocaleMiddleware follows the browser's Accept-Language, so a payment point's computer with
an English browser would show English. Here the language comes from the language switch (its
cookie) when the user has chosen one, and is Ukrainian (settings.LANGUAGE_CODE) otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class ChosenLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class ApiUserMiddleware:
    """In the JSON API's own middleware (settings.API_MIDDLEWARE, no sessions): the caller is
    anonymous until the API's bearer-token check sets `request.user`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.user = AnonymousUser()
        return self.get_response(request)
