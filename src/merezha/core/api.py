"""Core routes: the inbox of the caller's organisation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from merezha.api_idempotency import IdempotencyKeyHeader, idempotent
from merezha.core.selectors import inbox_get, inbox_list
from merezha.core.services import inbox_acknowledge

router = Router(tags=["inbox"])


class InboxDocumentOut(Schema):
    id: int
    kind: str
    sender: str
    title: str
    values: dict[str, Any]
    object_type: str
    object_id: str
    checksum: str
    created_at: dt.datetime
    status: str
    acknowledged_at: dt.datetime | None


def _out(d: Any) -> dict[str, Any]:
    return {
        "id": d.pk,
        "kind": d.kind,
        "sender": d.sender_code,
        "title": d.title,
        "values": d.values,
        "object_type": d.object_type,
        "object_id": d.object_id,
        "checksum": d.checksum,
        "created_at": d.created_at,
        "status": d.status,
        "acknowledged_at": d.acknowledged_at,
    }


def _org_code(request: HttpRequest) -> str:
    org = getattr(request.user, "organisation", None)
    if org is None:
        raise HttpError(403, "the token's user acts for no organisation")
    return str(org.code)


@router.get("/inbox", response=list[InboxDocumentOut])
def inbox(request: HttpRequest, kind: str | None = None) -> list[dict[str, Any]]:
    """Any organisation user: documents addressed to its organisation, newest first."""
    return [_out(d) for d in inbox_list(organisation_code=_org_code(request), kind=kind)[:1000]]


@router.get("/inbox/{document_id}", response=InboxDocumentOut)
def inbox_one(request: HttpRequest, document_id: int) -> dict[str, Any]:
    """Any organisation user: one document of its own organisation (others: 404)."""
    document = inbox_get(organisation_code=_org_code(request), document_id=document_id)
    if document is None:
        raise HttpError(404, "no such document in your inbox")
    return _out(document)


@router.post("/inbox/{document_id}/acknowledge", response=InboxDocumentOut)
def inbox_ack(
    request: HttpRequest, document_id: int, idempotency_key: IdempotencyKeyHeader = ""
) -> Status[Any]:
    """Any organisation user: acknowledge a document of its own organisation; repeating it changes nothing.
    With an Idempotency-Key, a retry returns the first answer; the same key for another document, 409."""
    organisation_code = _org_code(request)

    def write() -> Status[dict[str, Any]]:
        document = inbox_get(organisation_code=organisation_code, document_id=document_id)
        if document is None:
            raise HttpError(404, "no such document in your inbox")
        return Status(200, _out(inbox_acknowledge(document=document, user=request.user)))

    return idempotent(request, idempotency_key, route="inbox-ack", data={}, write=write)
