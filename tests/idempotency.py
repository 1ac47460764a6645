"""Shared checks of the Idempotency-Key on the API's write routes (merezha.api_idempotency)."""

from __future__ import annotations

from typing import Any

from merezha.core.models import IdempotencyKey

CONFLICT = {
    "detail": "this Idempotency-Key was used before for a different request: use a new key for a new request"
}
TOO_LONG = {"detail": "the Idempotency-Key header is 129 characters long: it must be 1 to 128 characters"}
EMPTY = {
    "detail": "the Idempotency-Key header is empty: a key is 1 to 128 printable ASCII characters "
    "(a key with other characters may reach the server as an empty header)"
}
CONTROL = {"detail": "the Idempotency-Key header must hold printable ASCII characters only (space to ~)"}


def assert_replayed(first: Any, again: Any) -> None:
    """The retry got the first answer: the same status and the same JSON, byte for byte."""
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.content == first.content


def kept(route: str) -> list[tuple[str, str, int | None]]:
    """The claims kept for a route: (scope `<route>:<organisation id>`, key, the answer's status)."""
    return sorted(
        IdempotencyKey.objects.filter(scope__startswith=f"{route}:").values_list(
            "scope", "key", "response_status"
        )
    )
