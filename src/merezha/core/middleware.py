"""Ukrainian by default: the interface language is the user's explicit choice, not the browser's.

Django's LocaleMiddleware follows the browser's Accept-Language, so a payment point's computer with
an English browser would show English. Here the language comes from the language switch (its
cookie) when the user has chosen one, and is Ukrainian (settings.LANGUAGE_CODE) otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
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


def nul_in_request(request: HttpRequest) -> str:
    """Where the request carries a NUL character ("" when nowhere): its path, its query string, or
    a page's form body. PostgreSQL refuses NUL in text, so no such value may reach the database.
    The JSON API's bodies are checked field by field by their schemas and services (a clear 422
    naming the field, or the character replaced, as an import does); files (multipart uploads) may
    hold NUL bytes, and their readers check what they read."""
    if "\x00" in request.path:
        return "the path"
    query = request.META.get("QUERY_STRING", "")
    if "\x00" in query or "%00" in query:
        return "the query string"
    if (
        request.content_type == "application/x-www-form-urlencoded"
        and request.method == "POST"
        and not request.path_info.startswith("/api/")
        and ("%00" in (body := request.body.decode("latin-1")) or "\x00" in body)
    ):
        return "the form"
    return ""


class RefuseNulMiddleware:
    """400 for a request with a NUL character in its path, query string or a page's form (see
    `nul_in_request`), before any view or database sees it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = nul_in_request(request)
        if where:
            detail = f"{where} contains a NUL character (%00), which no field accepts"
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": detail}, status=400)
            return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
