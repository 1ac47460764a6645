"""Writes of the core records. Called explicitly by the service that causes them, inside its transaction."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from merezha.core import rows
from merezha.core.models import AuditEntry, AuditSubject, IdempotencyKey, InboxDocument

#: a tax id inside a query: a РНОКПП (10 digits, spaces or dashes allowed), an ID card number
#: (9 digits) or a passport number (two letters, six digits)
_TAX_ID_IN_TEXT = re.compile(
    r"(?<![\w])(?:\d[\s\-]?){9}\d?(?![\w])|(?<![\w])[A-Za-zА-ЯІЇЄҐа-яіїєґ]{2}\s?\d{6}(?![\w])"
)


def audit_tax_id_hash(tax_id: str) -> str:
    """A keyed hash (HMAC-SHA256 under SECRET_KEY) of a normalised tax id: the audit keeps it instead
    of the number, so that the information centre can find every look-up of a person by typing
    the number, while the log never holds it. '' for text that is not a tax id."""
    from django.utils.crypto import salted_hmac

    from merezha.core.identifiers import tax_id_normalise

    try:
        value = tax_id_normalise(tax_id)
    except ValueError:
        return ""
    if not value:
        return ""
    return salted_hmac("merezha.audit.tax_id", value, algorithm="sha256").hexdigest()


def audit_query_mask(text: str) -> tuple[str, str]:
    """A query as the audit keeps it: every tax id in it masked as a cashier sees it (`******3742`),
    and the hash of the first one (see `audit_tax_id_hash`)."""
    from merezha.core.identifiers import tax_id_mask

    first_hash = ""

    def mask(match: re.Match[str]) -> str:
        nonlocal first_hash
        compact = re.sub(r"[\s\-]", "", match.group(0))
        if not first_hash:
            first_hash = audit_tax_id_hash(compact)
        return tax_id_mask(compact)

    masked = _TAX_ID_IN_TEXT.sub(mask, (text or "").strip())
    return masked[:200], first_hash


def audit_record(
    *,
    user: Any,
    action: str,
    object_type: str = "",
    object_id: str = "",
    detail: dict[str, Any] | None = None,
    query: str = "",
    channel: str = "",
    dwelling_ids: Iterable[int] = (),
    person_ids: Iterable[int] = (),
) -> AuditEntry:
    """Append one entry to the audit log: who (`user` and their organisation), what (`action`, the
    `query` as asked), and which dwellings and persons it showed. The one writer of the log; nothing
    updates or deletes an entry.

    `query` is kept with its tax ids masked and the first one hashed (`audit_query_mask`);
    `channel` is `web` for a page, `api` for the JSON API.
    """
    org = getattr(user, "organisation", None)
    masked, tax_id_hash = audit_query_mask(query) if query else ("", "")
    with transaction.atomic():
        entry = AuditEntry.objects.create(
            user=user if getattr(user, "pk", None) else None,
            organisation_code=getattr(org, "code", "") or "",
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            detail=detail or {},
            query=masked,
            tax_id_hash=tax_id_hash,
            channel=channel,
        )
        subjects = [
            AuditSubject(entry=entry, kind=AuditSubject.Kind.DWELLING, object_id=pk)
            for pk in dict.fromkeys(dwelling_ids)
        ] + [
            AuditSubject(entry=entry, kind=AuditSubject.Kind.PERSON, object_id=pk)
            for pk in dict.fromkeys(person_ids)
        ]
        if subjects:
            AuditSubject.objects.bulk_create(subjects)
    return entry


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


#: An Idempotency-Key is 1 to this many characters (the column's width).
IDEMPOTENCY_KEY_MAX_LENGTH = 128
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


class IdempotencyKeyInvalid(ValueError):
    """An Idempotency-Key longer than 128 characters, or with a control character in it."""


def idempotency_key_clean(value: str) -> str:
    """The key as given (surrounding blanks dropped); "" for a blank one, which the caller treats as
    no key at all. Raises IdempotencyKeyInvalid for a key that could never be stored as it is."""
    key = value.strip()
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise IdempotencyKeyInvalid(
            f"the Idempotency-Key header is {len(key)} characters long: it must be 1 to "
            f"{IDEMPOTENCY_KEY_MAX_LENGTH} characters"
        )
    if _CONTROL.search(key):
        raise IdempotencyKeyInvalid("the Idempotency-Key header must not contain control characters")
    return key


#: result_type of a claim that keeps the answer itself
ANSWER = "answer"


@dataclass(frozen=True)
class IdempotentAnswer:
    status: int
    #: the JSON body as it was sent (plain JSON values: dates and times are ISO strings)
    body: Any
    #: True when the answer is the kept one of an earlier request with the same key
    replayed: bool = False


def idempotency_answer(
    *, scope: str, key: str, request: Any, write: Callable[[], tuple[int, Any]]
) -> IdempotentAnswer:
    """Run `write` once per (scope, key) and keep its answer; a retry gets the same answer back.

    In one transaction: claim (scope, key) with the fingerprint of `request` (the caller's account
    of the whole request: path, body, form fields, file checksums), run `write` (a service call
    that returns (HTTP status, JSON body)), and keep the status and body on the claim row. The
    claim is taken first: a concurrent request with the same key waits on its insert until this
    one ends, then replays the kept answer, so duplicates have one effect. A retry with the same
    request gets the kept answer (`replayed=True`) and runs nothing; another request under the key
    raises IdempotencyConflict. A refusal (status ≥ 400) or an exception rolls everything back,
    the claim included: the key can be used again once the input is corrected.

    The body is returned as its JSON round trip, the first time too, so that the first answer and
    every replay are rendered from the same values.
    """
    with transaction.atomic():
        claim = idempotency_claim(
            scope=scope, key=key, fingerprint=request_fingerprint(request), result_type=ANSWER
        )
        if not claim.is_new:
            row = claim.row
            if row.result_type != ANSWER or row.response_status is None or row.response_body is None:
                raise IdempotencyConflict(key)  # taken by a write that keeps no answer: not this one
            return IdempotentAnswer(
                status=row.response_status, body=json.loads(row.response_body), replayed=True
            )
        status, body = write()
        text = json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
        if status >= 400:
            transaction.set_rollback(True)
        else:
            IdempotencyKey.objects.filter(pk=claim.row.pk).update(response_status=status, response_body=text)
    return IdempotentAnswer(status=status, body=json.loads(text))


def inbox_deliver(
    *,
    kind: str,
    sender_code: str,
    recipient_code: str,
    object_type: str,
    object_id: str,
    checksum: str,
    values: dict[str, Any] | None = None,
    title: str = "",
) -> InboxDocument:
    """File a document in the recipient's inbox (inside the caller's transaction).

    `values` are what its title says (`core.inbox.inbox_title` renders them in the reader's
    language); the stored `title` is their English rendering unless the caller gives one. Then the
    functions of `settings.MEREZHA_AFTER_DELIVERY` run (`core.hooks.documents_delivered`): the
    exchange's webhooks, for example.
    """
    from merezha.core.hooks import documents_delivered
    from merezha.core.inbox import inbox_title_english

    values = values or {}
    document = InboxDocument.objects.create(
        kind=kind,
        sender_code=sender_code,
        recipient_code=recipient_code,
        title=(title or inbox_title_english(kind=kind, values=values))[:200],
        values=values,
        object_type=object_type,
        object_id=str(object_id),
        checksum=checksum,
    )
    documents_delivered(document=document)
    return document


def inbox_mark_read(*, document: InboxDocument) -> InboxDocument:
    """The recipient opened the document: delivered → read (once; an acknowledged one stays so)."""
    if document.status == InboxDocument.Status.DELIVERED:
        document.status = InboxDocument.Status.READ
        document.read_at = timezone.now()
        InboxDocument.objects.filter(pk=document.pk, status=InboxDocument.Status.DELIVERED).update(
            status=document.status, read_at=document.read_at
        )
    return document


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
