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
)

HEADER = "Idempotency-Key"

#: The optional header of a write route, as the OpenAPI schema describes it.
IdempotencyKeyHeader = Annotated[
    str,
    params.Header(
        alias=HEADER,
        description="Optional, 1 to 128 characters. A retry with the same key and the same request returns "
        "the first answer (status and body) and changes nothing; the same key with another request "
        "answers 409. Keys are kept per organisation and route; a refused request keeps none.",
    ),
]


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

    `idempotency_key`: the header's value ("" when it is absent). `data`: what the request says
    besides its path (the parsed body or form fields); `files`: its uploads, compared by name and
    SHA-256 of the content. The path is part of the request too.
    The caller checks the role first; a refusal (4xx, returned or raised) keeps no key.
    """
    try:
        key = idempotency_key_clean(idempotency_key)
    except IdempotencyKeyInvalid as exc:
        raise HttpError(422, str(exc)) from None
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
