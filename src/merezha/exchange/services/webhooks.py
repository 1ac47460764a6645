"""Optional push: every document filed in an organisation's inbox is POSTed to its webhook.

The body is JSON (`document.delivered`, the document's fields); the header `X-Merezha-Signature`
is `sha256=` and the hex HMAC-SHA256 of the exact body under the organisation's secret. A delivery
is tried until the receiver answers 2xx: after the n-th failure the next try waits
EXCHANGE_WEBHOOK_BACKOFF_SECONDS × 2^(n−1), up to EXCHANGE_WEBHOOK_ATTEMPTS tries; every try is
logged (`WebhookAttempt`). The inbox stays the record: a push is a courtesy, the document is in the
inbox whatever the receiver does. See docs/reference/webhooks.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from merezha.core.models import InboxDocument
from merezha.exchange.models import Webhook, WebhookAttempt, WebhookDelivery
from merezha.organisations.models import Organisation

EVENT = "document.delivered"
SIGNATURE_HEADER = "X-Merezha-Signature"


class WebhookInvalid(ValueError):
    """A webhook URL that cannot be used."""


def webhook_signature(*, secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of the body under the secret>`: what the receiver recomputes."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_set(*, organisation: Organisation, url: str) -> tuple[Webhook, str]:
    """Set (or replace) the organisation's webhook; a new secret is made each time and returned once."""
    url = url.strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise WebhookInvalid(f"not an http(s) URL: {url!r}") from None
    secret = secrets.token_urlsafe(32)
    hook, _created = Webhook.objects.update_or_create(
        organisation=organisation, defaults={"url": url, "secret": secret, "is_active": True}
    )
    return hook, secret


def webhook_remove(*, organisation: Organisation) -> bool:
    """Stop pushing to the organisation (its delivery log is kept)."""
    return bool(Webhook.objects.filter(organisation=organisation, is_active=True).update(is_active=False))


def _body(document: InboxDocument, delivery_id: int) -> str:
    return json.dumps(
        {
            "event": EVENT,
            "delivery": delivery_id,
            "document": {
                "id": document.pk,
                "kind": document.kind,
                "sender": document.sender_code,
                "recipient": document.recipient_code,
                "title": document.title,
                "values": document.values,
                "object_type": document.object_type,
                "object_id": document.object_id,
                "checksum": document.checksum,
                "created_at": document.created_at.isoformat(),
            },
        },
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )


def webhook_after_delivery(*, document: InboxDocument) -> None:
    """After a document is filed (core.hooks.documents_delivered, in the deliverer's transaction):
    queue its push when the recipient has an active webhook; the task is enqueued on commit."""
    hook = Webhook.objects.filter(organisation__code=document.recipient_code, is_active=True).first()
    if hook is None:
        return
    delivery = WebhookDelivery.objects.create(
        webhook=hook, document=document, body="", next_attempt_at=timezone.now()
    )
    delivery.body = _body(document, delivery.pk)
    delivery.save(update_fields=["body"])
    transaction.on_commit(lambda: _enqueue(delivery.pk, None))


def _enqueue(delivery_id: int, run_after: dt.datetime | None) -> None:
    if run_after is None:
        webhook_deliver_task.enqueue(delivery_id)
    elif webhook_deliver_task.get_backend().supports_defer:
        webhook_deliver_task.using(run_after=run_after).enqueue(delivery_id)
    # else (tasks run inline, MEREZHA_TASKS_IMMEDIATE): the scheduler's tick sends it when its time comes


def backoff(attempt: int) -> dt.timedelta:
    """How long after the `attempt`-th failed try the next one waits (30 s, 60 s, 120 s…)."""
    return dt.timedelta(seconds=settings.EXCHANGE_WEBHOOK_BACKOFF_SECONDS * 2 ** (attempt - 1))


def _post(*, url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (http(s) only)
    try:
        with urllib.request.urlopen(request, timeout=settings.EXCHANGE_WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"{type(exc).__name__}: {reason}"[:500]


def webhook_attempt(*, delivery_id: int, now: dt.datetime | None = None) -> WebhookDelivery | None:
    """Try one delivery now, if it is pending and its time has come; returns it, or None when not taken.

    The try is claimed first (attempts + 1, the next try's time set as if this one fails) by one
    conditional UPDATE, so two workers never send the same try; the HTTP call runs outside any
    transaction. A 2xx answer delivers it; anything else waits for the next try, or fails the
    delivery after the last one (the task re-enqueues itself for the next try)."""
    now = now or timezone.now()
    row = WebhookDelivery.objects.filter(pk=delivery_id).values_list("attempts", flat=True).first()
    if row is None:
        return None
    attempt = row + 1
    taken = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, attempts=row, next_attempt_at__lte=now
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + backoff(attempt))
    if not taken:
        return None
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    hook = delivery.webhook
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Merezha-Webhook/1",
        "X-Merezha-Event": EVENT,
        "X-Merezha-Delivery": str(delivery.pk),
        "X-Merezha-Attempt": str(attempt),
        SIGNATURE_HEADER: webhook_signature(secret=hook.secret, body=body),
    }
    started = time.perf_counter()
    status, error = (
        (None, "the webhook is switched off")
        if not hook.is_active
        else _post(url=hook.url, body=body, headers=headers)
    )
    took = int((time.perf_counter() - started) * 1000)
    ok = status is not None and 200 <= status < 300
    WebhookAttempt.objects.create(
        delivery=delivery, number=attempt, at=now, status_code=status, error=error, duration_ms=took
    )
    delivery.last_status_code = status
    delivery.last_error = error
    if ok:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = timezone.now()
    elif attempt >= settings.EXCHANGE_WEBHOOK_ATTEMPTS or not hook.is_active:
        delivery.status = WebhookDelivery.Status.FAILED
    delivery.save(update_fields=["status", "delivered_at", "last_status_code", "last_error"])
    if delivery.status == WebhookDelivery.Status.PENDING:
        _enqueue(delivery.pk, delivery.next_attempt_at)
    return delivery


def webhook_deliveries_due_send(*, now: dt.datetime | None = None, limit: int = 100) -> int:
    """Try the pending deliveries whose time has come (the scheduler's sweep); returns how many were tried."""
    now = now or timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(webhook_attempt(delivery_id=pk, now=now) is not None for pk in ids)


@task()
def webhook_deliver_task(delivery_id: int) -> str:
    """One try of one webhook push, in the task worker; a failed try enqueues the next one with its
    back-off. Declared beside the service it runs, so the service enqueues it without a cycle."""
    delivery = webhook_attempt(delivery_id=delivery_id)
    return delivery.status if delivery is not None else "not taken"
