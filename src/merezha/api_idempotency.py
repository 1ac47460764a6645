"""The Idempotency-Key of the JSON API's writes (kept apart from merezha.api so routers can import it).

A route that writes takes the header as a parameter (`idempotency_key: IdempotencyKeyHeader = ""`,
so the OpenAPI schema shows it) and returns `idempotent(request, idempotency_key, route=…, data=…,
files=…, write=…)`, where `write` calls the services and returns the route's `Status`. Without
the header (or with a blank one) it simply runs `write`, as before. With it, `core.services.idempotency_answer` runs `write` once per
(route, the caller's organisation, key) and keeps the answer: a retry of the same request gets the
same status and JSON body, another request under the key 409, a key longer than 128 characters 422.
The payment, snapshot and subsidy decision routes keep their own, older handling of the header
(see docs/explanation/idempotency.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Status
from ninja.errors import HttpError
from ninja.params import functions as params

from merezha.core.imports import file_checksum
from merezha.core.services import (
    IdempotencyConflict,
    IdempotencyKeyInvalid,
    idempotency_answer,
    idempotency_key_clean,
    idempotency_key_max_length,
)

HEADER = "Idempotency-Key"

#: The header as WSGI names it in request.META
META_KEY = "HTTP_IDEMPOTENCY_KEY"

#: The optional header of a write route, as the OpenAPI schema describes it.
IdempotencyKeyHeader = Annotated[
    str,
    params.Header(
        alias=HEADER,
        description="Optional, 1 to 128 printable ASCII characters (settings.IDEMPOTENCY_KEY_MAX_LENGTH; "
        "an empty header or any other character answers 422). "
        "A retry with the same key and the same request returns "
        "the first answer (status and body) and changes nothing; the same key with another request "
        "answers 409. Keys are kept per organisation and route; a refused request keeps none.",
    ),
]


def idempotency_key_of(request: HttpRequest) -> str:
    """The request's Idempotency-Key, "" when it sent none; 422 naming the header for a key that is
    empty (as granian passes a non-ASCII one), too long, or not printable ASCII."""
    raw = request.META.get(META_KEY)
    if raw is None:
        return ""
    if not raw.strip():
        raise HttpError(
            422,
            f"the {HEADER} header is empty: a key is 1 to {idempotency_key_max_length()} printable ASCII "
            "characters (a key with other characters may reach the server as an empty header)",
        )
    try:
        return idempotency_key_clean(raw)
    except IdempotencyKeyInvalid as exc:
        raise HttpError(422, str(exc)) from None


def idempotent(
    request: HttpRequest,
    idempotency_key: str,
    *,
    route: str,
    data: Mapping[str, Any],
    write: Callable[[], Status[Any]],
    files: Mapping[str, Any] | None = None,
) -> Status[Any]:
    """The answer of `write`, run once per Idempotency-Key of the caller's organisation on `route`.

    `idempotency_key`: the header's value as the route's parameter has it (the rule reads the header
    itself, through `idempotency_key_of`, to tell an empty header from none). `data`: what the request says
    besides its path (the parsed body or form fields); `files`: its uploads, compared by name and
    SHA-256 of the content. The path is part of the request too.
    The caller checks the role first; a refusal (4xx, returned or raised) keeps no key.
    """
    key = idempotency_key_of(request)
    if not key:
        return write()
    organisation_id = getattr(request.user, "organisation_id", None)
    if organisation_id is None:
        raise HttpError(403, "the token's user acts for no organisation")
    fingerprint = {
        "path": request.path_info,
        "data": dict(data),
        "files": {
            name: {"name": upload.name or "", "sha256": file_checksum(upload)}
            for name, upload in (files or {}).items()
        },
    }

    def run() -> tuple[int, Any]:
        answer = write()
        return answer.status_code, answer.value

    try:
        answer = idempotency_answer(
            scope=f"{route}:{organisation_id}", key=key, request=fingerprint, write=run
        )
    except IdempotencyConflict:
        raise HttpError(
            409, f"this {HEADER} was used before for a different request: use a new key for a new request"
        ) from None
    return Status(answer.status, answer.body)
