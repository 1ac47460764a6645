"""core.api: the inbox routes; the acknowledgement with an Idempotency-Key."""

from __future__ import annotations

import pytest

from merezha.core.models import InboxDocument
from merezha.core.roles import Role
from merezha.core.services import inbox_deliver
from merezha.organisations.services import api_token_create
from tests.idempotency import CONFLICT, CONTROL, EMPTY, TOO_LONG, assert_replayed, kept

pytestmark = pytest.mark.django_db


def deliver(to: str, title: str = "Register 1") -> InboxDocument:
    return inbox_deliver(
        kind="register",
        sender_code="HUB",
        recipient_code=to,
        title=title,
        object_type="register",
        object_id="1",
        checksum="ab" * 32,
    )


def acknowledge(client, user, document_id, key=None):
    headers = {"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(f"/api/v1/inbox/{document_id}/acknowledge", headers=headers)


def test_acknowledge_retry_with_the_key_returns_the_first_answer(client, make_user):
    user = make_user(Role.PROVIDER)
    doc, other = deliver(user.organisation.code), deliver(user.organisation.code, "Register 2")
    first = acknowledge(client, user, doc.pk, "ack-1")
    assert first.status_code == 200
    assert {k: first.json()[k] for k in ("id", "kind", "sender", "title", "status")} == {
        "id": doc.pk,
        "kind": "register",
        "sender": "HUB",
        "title": "Register 1",
        "status": "acknowledged",
    }
    doc.refresh_from_db()
    again = acknowledge(client, user, doc.pk, "ack-1")
    assert_replayed(first, again)
    assert InboxDocument.objects.get(pk=doc.pk).acknowledged_at == doc.acknowledged_at
    r = acknowledge(client, user, other.pk, "ack-1")
    assert (r.status_code, r.json()) == (409, CONFLICT)
    assert InboxDocument.objects.get(pk=other.pk).status == InboxDocument.Status.DELIVERED
    assert kept("inbox-ack") == [(f"inbox-ack:{user.organisation_id}", "ack-1", 200)]


def test_acknowledge_refused_keeps_no_key(client, make_user):
    a, b = make_user(Role.PROVIDER), make_user(Role.PROVIDER)
    theirs = deliver(b.organisation.code)
    r = acknowledge(client, a, theirs.pk, "ack-1")
    assert (r.status_code, r.json()) == (404, {"detail": "no such document in your inbox"})
    assert kept("inbox-ack") == []
    mine = deliver(a.organisation.code)
    assert acknowledge(client, a, mine.pk, "ack-1").json()["status"] == "acknowledged"


def test_acknowledge_keys_of_two_organisations_are_independent(client, make_user):
    a, b = make_user(Role.PROVIDER), make_user(Role.HOUSING)
    doc_a, doc_b = deliver(a.organisation.code), deliver(b.organisation.code, "Change report")
    ra, rb = acknowledge(client, a, doc_a.pk, "same"), acknowledge(client, b, doc_b.pk, "same")
    assert (ra.status_code, ra.json()["id"], rb.status_code, rb.json()["id"]) == (
        200,
        doc_a.pk,
        200,
        doc_b.pk,
    )
    assert InboxDocument.objects.filter(status=InboxDocument.Status.ACKNOWLEDGED).count() == 2


def test_acknowledge_key_too_long_with_control_characters_or_empty_is_refused(client, make_user):
    user = make_user(Role.PROVIDER)
    doc = deliver(user.organisation.code)
    r = acknowledge(client, user, doc.pk, "k" * 129)
    assert (r.status_code, r.json()) == (422, TOO_LONG)
    r = acknowledge(client, user, doc.pk, "k\x1b")
    assert (r.status_code, r.json()) == (422, CONTROL)
    assert InboxDocument.objects.get().status == InboxDocument.Status.DELIVERED
    r = acknowledge(client, user, doc.pk, "   ")  # granian passes a non-ASCII key as an empty one
    assert (r.status_code, r.json()) == (422, EMPTY)
    assert kept("inbox-ack") == []
