"""Writes of the core records. Called explicitly by the service that causes them, inside its transaction."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from merezha.core import rows
from merezha.core.models import AuditEntry, IdempotencyKey, InboxDocument


def audit_record(
    *,
    user: Any,
    action: str,
    object_type: str = "",
    object_id: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    org = getattr(user, "organisation", None)
    return AuditEntry.objects.create(
        user=user if getattr(user, "pk", None) else None,
        organisation_code=getattr(org, "code", "") or "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        detail=detail or {},
    )


def request_fingerprint(payload: Any) -> str:
    """A stable hash of a request body, to tell a retry from a different request under the same key."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class IdempotencyConflict(Exception):
    """The key was used before with a different request."""


@dataclass(frozen=True)
class IdempotencyClaim:
    row: IdempotencyKey
    is_new: bool


def idempotency_claim(
    *, scope: str, key: str, fingerprint: str, result_type: str = "", result_id: str = ""
) -> IdempotencyClaim:
    """Take (scope, key) inside the caller's transaction, or find who took it.

    The unique row is the lock: a concurrent claim of the same key waits on the insert until the
    first transaction ends, then finds the committed row. Never check-then-act. One statement,
    no savepoint: `INSERT … ON CONFLICT DO NOTHING RETURNING id` (PostgreSQL, SQLite ≥ 3.35).
    A caller that knows its result's id before writing it (a UUID made in Python) passes it here
    and needs no `idempotency_complete`: the claim and the result commit or roll back together.
    """
    now = timezone.now()
    values = {
        "scope": scope,
        "key": key,
        "request_hash": fingerprint,
        "result_type": result_type,
        "result_id": result_id,
    }
    qn = connection.ops.quote_name
    columns = ", ".join(qn(name) for name in [*values, "created_at"])
    with rows.hot_cursor(connection) as cursor:
        cursor.execute(
            f"INSERT INTO {qn(IdempotencyKey._meta.db_table)} ({columns}) VALUES (%s, %s, %s, %s, %s, %s) "
            f"ON CONFLICT ({qn('scope')}, {qn('key')}) DO NOTHING RETURNING {qn('id')}",
            [*values.values(), connection.ops.adapt_datetimefield_value(now)],
        )
        inserted = cursor.fetchone()
    if inserted is not None:
        return IdempotencyClaim(row=IdempotencyKey(id=inserted[0], created_at=now, **values), is_new=True)
    row = IdempotencyKey.objects.get(scope=scope, key=key)
    if row.request_hash != fingerprint:
        raise IdempotencyConflict(key)
    return IdempotencyClaim(row=row, is_new=False)


def idempotency_complete(*, claim: IdempotencyClaim, result_type: str, result_id: str) -> None:
    row = claim.row
    row.result_type = result_type
    row.result_id = str(result_id)
    row.save(update_fields=["result_type", "result_id"])


def inbox_deliver(
    *,
    kind: str,
    sender_code: str,
    recipient_code: str,
    title: str,
    object_type: str,
    object_id: str,
    checksum: str,
) -> InboxDocument:
    return InboxDocument.objects.create(
        kind=kind,
        sender_code=sender_code,
        recipient_code=recipient_code,
        title=title,
        object_type=object_type,
        object_id=str(object_id),
        checksum=checksum,
    )


def inbox_acknowledge(*, document: InboxDocument, user: Any) -> InboxDocument:
    """Acknowledge once; a repeated acknowledgement changes nothing."""
    if document.status != InboxDocument.Status.ACKNOWLEDGED:
        now = timezone.now()
        document.status = InboxDocument.Status.ACKNOWLEDGED
        document.acknowledged_at = now
        document.read_at = document.read_at or now
        document.acknowledged_by = user
        document.save(update_fields=["status", "acknowledged_at", "read_at", "acknowledged_by"])
    return document
