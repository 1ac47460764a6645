"""The one guard every upload passes: its size per kind of file, and what the file may hold.

- **Size.** Each upload route names its kind (`@upload_kind("snapshot")`, on a page's view or an
  API route's function). `UploadLimitMiddleware` (in `MIDDLEWARE` before CSRF, and in
  `API_MIDDLEWARE`) refuses a request whose `Content-Length` is beyond the kind's
  `UPLOAD_MAX_BYTES` before reading its body, and counts the bytes of the files while Django
  streams them (`UploadSizeHandler`), stopping at the limit when the length is absent or lies. The
  API answers 413; a page gets its form back with the error on the file (`upload_form_refusal`).
- **Content.** `file_limits(kind)` gives the `formats.limits.Limits` of the settings
  (`FILE_LIMITS`, and `UPLOAD_MAX_ROWS` for a kind that holds its rows in memory), which every
  reader checks while the file streams; `open_table` applies them when no kind is named.

docs/reference/limits.md lists every limit with its setting and default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_

from merezha.formats.limits import size_text

#: The kinds of upload and their names in a refusal.
UPLOAD_KINDS = {
    "snapshot": N_("snapshot"),
    "registry": N_("register"),
    "decisions": N_("decisions"),
    "batch_check": N_("batch check"),
    "streets": N_("street directory"),
}
#: What a multipart body holds besides the file (boundaries, form fields): allowed above the file's limit.
_FORM_BYTES = 1 << 20

F = TypeVar("F", bound=Callable[..., Any])
#: The functions marked with `upload_kind`: an API route's is found through its ninja operation.
_MARKED: list[Callable[..., Any]] = []


def upload_kind(kind: str) -> Callable[[F], F]:
    """Mark a page's view or an API route's function as taking uploads of `kind` (UPLOAD_KINDS)."""
    if kind not in UPLOAD_KINDS:
        raise ValueError(f"unknown upload kind {kind!r}")

    def mark(view: F) -> F:
        view.upload_kind = kind  # type: ignore[attr-defined]
        _MARKED.append(view)
        return view

    return mark


def upload_max_bytes(kind: str) -> int:
    """The largest upload of `kind`, in bytes (setting UPLOAD_MAX_BYTES)."""
    return int(settings.UPLOAD_MAX_BYTES[kind])


def upload_refusal_text(kind: str) -> str:
    """Why an upload of `kind` was refused for its size (English: the API's answer)."""
    return f"the file is larger than {size_text(upload_max_bytes(kind))}, the most a {UPLOAD_KINDS[kind]} upload may be"


class UploadTooLarge(Exception):
    """The files of a request passed their kind's limit while they streamed."""


class UploadSizeHandler(FileUploadHandler):
    """Counts the bytes of a request's files as Django streams them; stops at `limit`."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            raise UploadTooLarge
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _kind_of(request: HttpRequest, view: Callable[..., Any]) -> str | None:
    """The upload kind of the view about to answer: a page's view carries it; an API route is the
    ninja operation of a marked function whose path and method are the request's."""
    kind = getattr(view, "upload_kind", None)
    match = getattr(request, "resolver_match", None)
    if kind is not None or match is None or not request.path_info.startswith("/api/"):
        return kind
    route = str(match.route).rstrip("/")
    for marked in _MARKED:
        operation = getattr(marked, "_ninja_operation", None)
        path = str(getattr(operation, "path", "")).strip("/")
        if path and route.endswith(path) and request.method in getattr(operation, "methods", ()):
            return str(marked.upload_kind)  # type: ignore[attr-defined]
    return None


class UploadLimitMiddleware:
    """Refuses an upload beyond its kind's size before it is read whole (see the module's text)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "_upload_refused", None):
            response["Connection"] = "close"  # the rest of the body was not read
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if request.method != "POST":
            return None
        kind = _kind_of(request, view)
        if kind is None:
            return None
        limit = upload_max_bytes(kind)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit + _FORM_BYTES:
            return self._refused(request, kind)
        request.upload_handlers = [UploadSizeHandler(request, limit), *request.upload_handlers]
        try:
            request.POST  # noqa: B018 - the body is read here, within the limit, not later by CSRF or a form
        except UploadTooLarge:
            return self._refused(request, kind)
        except MultiPartParserError as exc:
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": f"malformed multipart body: {exc}"}, status=400)
            raise  # a page: Django answers 400
        return None

    def _refused(self, request: HttpRequest, kind: str) -> HttpResponse | None:
        if request.path_info.startswith("/api/"):
            request._upload_refused = kind  # type: ignore[attr-defined]
            return JsonResponse({"detail": upload_refusal_text(kind)}, status=413)
        # a page: the view shows its form again with the error on the file (upload_form_refusal); the
        # body is not read, so it holds no CSRF token to check, and nothing is written
        request._upload_refused = kind  # type: ignore[attr-defined]
        request._post = QueryDict()  # type: ignore[attr-defined]
        request._files = MultiValueDict()  # type: ignore[attr-defined]
        request.csrf_processing_done = True  # type: ignore[attr-defined]
        return None


def upload_form_refusal(request: HttpRequest, form: forms.Form, field: str = "file") -> bool:
    """When the request's upload was refused for its size: the form says so on `field` (instead of
    "this field is required") and True; else False and the form as it is."""
    kind = getattr(request, "_upload_refused", None)
    if kind is None:
        return False
    form.is_valid()
    form.errors[field] = form.error_class(
        [
            gettext("The file is larger than %(limit)s, the most a %(kind)s upload may be.")
            % {"limit": size_text(upload_max_bytes(kind)), "kind": gettext(UPLOAD_KINDS[kind])}
        ]
    )
    return True
