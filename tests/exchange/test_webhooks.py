import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.utils import timezone

from merezha.core.services import inbox_deliver
from merezha.exchange.models import WebhookDelivery
from merezha.exchange.services.webhooks import backoff, webhook_attempt, webhook_set
from merezha.registers.services import days_close
from tests.payments.conftest import at

pytestmark = pytest.mark.django_db


class Receiver:
    """An HTTP receiver on 127.0.0.1: answers the queued statuses in turn, records every request."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(*statuses):
        r = Receiver(statuses)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


@pytest.fixture
def no_queue(monkeypatch):
    """The pushes' tasks are recorded, not run: the test tries each delivery itself."""
    queued = []
    monkeypatch.setattr(
        "merezha.exchange.services.webhooks._enqueue", lambda pk, after: queued.append((pk, after))
    )
    return queued


def test_register_is_pushed_signed_and_retried_with_back_off(
    world, pay, receiver, no_queue, settings, django_capture_on_commit_callbacks
):
    settings.EXCHANGE_WEBHOOK_BACKOFF_SECONDS = 30
    settings.EXCHANGE_WEBHOOK_ATTEMPTS = 5
    r = receiver(503, 500, 200)
    hook, secret = webhook_set(organisation=world.providers["water"], url=r.url)
    pay({"water": "100.00"}, when=at("2026-11-02", 10))
    with django_capture_on_commit_callbacks(execute=True):
        result = days_close(day=at("2026-11-02").date())
    register = next(x for x in result.registers if x.provider.code == "water")
    delivery = WebhookDelivery.objects.get(webhook=hook)
    assert no_queue == [(delivery.pk, None)]  # queued on commit

    t0 = timezone.now()
    first = webhook_attempt(delivery_id=delivery.pk, now=t0)
    assert (first.status, first.attempts, first.last_status_code) == ("pending", 1, 503)
    assert first.next_attempt_at == t0 + backoff(1)
    assert no_queue[-1] == (delivery.pk, t0 + backoff(1))
    assert webhook_attempt(delivery_id=delivery.pk, now=t0) is None  # not before its time
    second = webhook_attempt(delivery_id=delivery.pk, now=t0 + backoff(1))
    assert (second.status, second.attempts, second.next_attempt_at) == (
        "pending",
        2,
        t0 + backoff(1) + backoff(2),
    )
    assert backoff(2).total_seconds() == 60
    third = webhook_attempt(delivery_id=delivery.pk, now=second.next_attempt_at)
    assert (third.status, third.attempts, third.last_status_code) == ("delivered", 3, 200)
    assert [(a.number, a.status_code) for a in third.log.all()] == [(1, 503), (2, 500), (3, 200)]

    assert len(r.requests) == 3
    headers, body = r.requests[-1]
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Merezha-Signature"] == expected
    assert headers["X-Merezha-Attempt"] == "3"
    assert all(b == body for _h, b in r.requests)  # the same signed body every time
    data = json.loads(body)
    assert data["event"] == "document.delivered"
    assert data["document"]["id"] == register.document.pk
    assert data["document"]["values"] == {"number": 1, "day": "2026-11-02"}
    assert data["document"]["checksum"] == register.checksum


def test_a_delivery_fails_after_its_last_attempt_and_others_get_nothing(world, receiver, no_queue, settings):
    settings.EXCHANGE_WEBHOOK_ATTEMPTS = 2
    r = receiver(500, 500, 500)
    webhook_set(organisation=world.providers["water"], url=r.url)
    doc = inbox_deliver(
        kind="register", sender_code="hub", recipient_code="water", values={"number": 9, "day": "2026-11-02"},
        object_type="register", object_id="9", checksum="c",
    )  # fmt: skip
    inbox_deliver(
        kind="register", sender_code="hub", recipient_code="heat", values={"number": 1, "day": "2026-11-02"},
        object_type="register", object_id="1", checksum="c",
    )  # fmt: skip
    assert WebhookDelivery.objects.count() == 1  # heat has no webhook
    delivery = WebhookDelivery.objects.get(document=doc)
    t = timezone.now()
    webhook_attempt(delivery_id=delivery.pk, now=t)
    last = webhook_attempt(delivery_id=delivery.pk, now=t + backoff(1))
    assert (last.status, last.attempts, last.last_error) == ("failed", 2, "HTTP 500")
    assert webhook_attempt(delivery_id=delivery.pk, now=t + backoff(5)) is None
    assert len(r.requests) == 2


def test_an_unreachable_receiver_is_logged(world, no_queue):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    webhook_set(organisation=world.providers["water"], url=f"http://127.0.0.1:{port}/hook")
    doc = inbox_deliver(
        kind="register", sender_code="hub", recipient_code="water", values={"number": 9, "day": "2026-11-02"},
        object_type="register", object_id="9", checksum="c",
    )  # fmt: skip
    delivery = webhook_attempt(delivery_id=WebhookDelivery.objects.get(document=doc).pk)
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert delivery.last_error.startswith("URLError: ")


def test_webhook_command_and_page(client, world, make_user, capsys):
    call_command("webhook", "--org", "water", "--url", "https://example.test/merezha")
    out = capsys.readouterr().out
    assert out.startswith("water: https://example.test/merezha, secret ")
    user = make_user("provider", organisation=world.providers["water"])
    client.force_login(user)
    page = client.get("/exchange/webhook/").content.decode()
    assert "https://example.test/merezha" in page
    assert client.post("/exchange/webhook/", {"url": "ftp://x"}).status_code == 400
    response = client.post("/exchange/webhook/", {"url": "https://partner.test/in"})
    assert response.status_code == 200 and "partner.test/in" in response.content.decode()
    client.force_login(make_user("admin"))
    assert client.get("/exchange/webhook/").status_code == 403


def test_tasks_run_inline_push_at_once_and_leave_retries_to_the_tick(world, receiver, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    r = receiver(500)
    webhook_set(organisation=world.providers["water"], url=r.url)
    from merezha.exchange.tasks import webhook_deliver_task

    doc = inbox_deliver(
        kind="register", sender_code="hub", recipient_code="water", values={"number": 9, "day": "2026-11-02"},
        object_type="register", object_id="9", checksum="c",
    )  # fmt: skip
    delivery = WebhookDelivery.objects.get(document=doc)
    result = webhook_deliver_task.enqueue(delivery.pk)  # runs now, fails, and does not raise for its retry
    assert (result.status, result.return_value) == ("SUCCESSFUL", "pending")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, "HTTP 500")
