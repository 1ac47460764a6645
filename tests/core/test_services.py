"""core.services: the idempotent answer of an API write (claim, run once, keep the answer, replay)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import connection

from merezha.core.models import AuditEntry, IdempotencyKey
from merezha.core.services import (
    IdempotencyConflict,
    IdempotencyKeyInvalid,
    IdempotentAnswer,
    audit_query_mask,
    audit_record,
    audit_tax_id_hash,
    idempotency_answer,
    idempotency_claim,
    idempotency_key_clean,
    request_fingerprint,
)
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db


class Writes:
    """A write that records an audit entry per run and answers (status, body)."""

    def __init__(self, status: int = 201, body: object = None) -> None:
        self.runs = 0
        self.status = status
        self.body = body

    def __call__(self) -> tuple[int, object]:
        self.runs += 1
        entry = audit_record(user=None, action="test.write", object_id=str(self.runs))
        body = {"run": self.runs, "entry": entry.pk} if self.body is None else self.body
        return self.status, body


def test_key_clean():
    assert idempotency_key_clean("  k-1 ") == "k-1"
    assert idempotency_key_clean("") == ""
    assert idempotency_key_clean("   ") == ""
    assert idempotency_key_clean("x" * 128) == "x" * 128
    assert idempotency_key_clean("ключ-1") == "ключ-1"
    assert idempotency_key_clean("a\u00a0b c") == "a\u00a0b c"
    with pytest.raises(IdempotencyKeyInvalid) as err:
        idempotency_key_clean("x" * 129)
    assert str(err.value) == (
        "the Idempotency-Key header is 129 characters long: it must be 1 to 128 characters"
    )
    for bad in ("a\x00b", "a\nb", "a\x7fb", "a\x85b"):
        with pytest.raises(IdempotencyKeyInvalid) as err:
            idempotency_key_clean(bad)
        assert str(err.value) == "the Idempotency-Key header must not contain control characters"


def test_first_answer_is_kept_and_replayed_without_running_again():
    write = Writes()
    first = idempotency_answer(
        scope="route:1", key="k", request={"path": "/x", "data": {"a": 1}}, write=write
    )
    assert first == IdempotentAnswer(
        status=201, body={"run": 1, "entry": first.body["entry"]}, replayed=False
    )
    again = idempotency_answer(
        scope="route:1", key="k", request={"data": {"a": 1}, "path": "/x"}, write=write
    )
    assert again == IdempotentAnswer(status=201, body=first.body, replayed=True)
    assert write.runs == 1 and AuditEntry.objects.count() == 1
    row = IdempotencyKey.objects.get()
    assert (row.scope, row.key, row.result_type, row.result_id, row.response_status) == (
        "route:1",
        "k",
        "answer",
        "",
        201,
    )
    assert row.response_body == f'{{"run":1,"entry":{first.body["entry"]}}}'


def test_the_body_is_kept_exactly_and_returned_as_json_values():
    at = dt.datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=dt.UTC)
    body = {"z": "ї\x00", "a": [{"y": 1, "b": None}], "at": at, "day": dt.date(2026, 11, 2)}
    first = idempotency_answer(scope="s", key="k", request={}, write=Writes(200, body))
    expected = {
        "z": "ї\x00",
        "a": [{"y": 1, "b": None}],
        "at": "2026-11-02T09:30:15.123Z",
        "day": "2026-11-02",
    }
    assert first.body == expected and list(first.body) == ["z", "a", "at", "day"]
    again = idempotency_answer(scope="s", key="k", request={}, write=Writes(200, {}))
    assert again.body == expected and list(again.body) == ["z", "a", "at", "day"]
    assert list(again.body["a"][0]) == ["y", "b"]
    assert IdempotencyKey.objects.get().response_body == (
        '{"z":"ї\\u0000","a":[{"y":1,"b":null}],"at":"2026-11-02T09:30:15.123Z","day":"2026-11-02"}'
    )


def test_another_request_under_the_key_is_a_conflict_and_changes_nothing():
    write = Writes()
    idempotency_answer(scope="s", key="k", request={"data": {"a": 1}}, write=write)
    with pytest.raises(IdempotencyConflict):
        idempotency_answer(scope="s", key="k", request={"data": {"a": 2}}, write=write)
    assert write.runs == 1 and AuditEntry.objects.count() == 1 and IdempotencyKey.objects.count() == 1


def test_scopes_are_independent():
    write = Writes()
    a = idempotency_answer(scope="route:1", key="k", request={"x": 1}, write=write)
    b = idempotency_answer(scope="route:2", key="k", request={"x": 2}, write=write)
    c = idempotency_answer(scope="other:1", key="k", request={"x": 1}, write=write)
    assert (a.body["run"], b.body["run"], c.body["run"]) == (1, 2, 3)
    assert not (a.replayed or b.replayed or c.replayed)
    assert IdempotencyKey.objects.count() == 3


def test_a_refusal_keeps_neither_the_key_nor_its_writes():
    refused = Writes(422, {"detail": "no"})
    answer = idempotency_answer(scope="s", key="k", request={"a": 1}, write=refused)
    assert answer == IdempotentAnswer(status=422, body={"detail": "no"}, replayed=False)
    assert refused.runs == 1
    assert IdempotencyKey.objects.count() == 0 and AuditEntry.objects.count() == 0
    corrected = idempotency_answer(scope="s", key="k", request={"a": 2}, write=Writes())
    assert (corrected.status, corrected.body["run"], corrected.replayed) == (201, 1, False)
    assert IdempotencyKey.objects.count() == 1 and AuditEntry.objects.count() == 1


def test_an_exception_keeps_neither_the_key_nor_its_writes():
    def failing() -> tuple[int, object]:
        audit_record(user=None, action="test.write")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="^boom$"):
        idempotency_answer(scope="s", key="k", request={}, write=failing)
    assert IdempotencyKey.objects.count() == 0 and AuditEntry.objects.count() == 0
    assert idempotency_answer(scope="s", key="k", request={}, write=Writes()).status == 201


def test_a_key_taken_by_a_write_that_keeps_no_answer_is_a_conflict():
    idempotency_claim(scope="s", key="k", fingerprint=request_fingerprint({}), result_type="payment")
    with pytest.raises(IdempotencyConflict):
        idempotency_answer(scope="s", key="k", request={}, write=Writes())
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_duplicates_run_the_write_once():
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite serialises every writer (one database lock): real concurrency is tested on PostgreSQL"
        )
    n = 8

    def write() -> tuple[int, object]:
        entry = audit_record(user=None, action="test.write")
        time.sleep(0.2)  # hold the claim a while: the others queue behind it on the insert
        return 201, {"entry": entry.pk}

    answers = at_once(n, lambda _: idempotency_answer(scope="s", key="same", request={"a": 1}, write=write))
    assert len(answers) == n and all(isinstance(a, IdempotentAnswer) for a in answers), answers
    entry = AuditEntry.objects.get().pk
    assert sorted(a.replayed for a in answers) == [False] + [True] * (n - 1)  # type: ignore[attr-defined]
    assert {(a.status, a.body["entry"]) for a in answers} == {(201, entry)}  # type: ignore[attr-defined]
    assert IdempotencyKey.objects.count() == 1


# --- the audit log --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "kept", "hashed"),
    [
        ("1779483742", "******3742", "1779483742"),
        ("1779-483-742", "******3742", "1779483742"),
        ("Коваленко 1779483742", "Коваленко ******3742", "1779483742"),
        ("КВ123456", "****3456", "КВ123456"),
        ("кв 123456", "****3456", "КВ123456"),
        ("вул. Свободи, 12, кв. 5", "вул. Свободи, 12, кв. 5", ""),
        ("W-0001", "W-0001", ""),
        ("1779483743", "******3743", ""),  # ten digits with a wrong check digit: masked, nothing to hash
    ],
)
def test_audit_query_mask(query, kept, hashed):
    assert audit_query_mask(query) == (kept, audit_tax_id_hash(hashed) if hashed else "")


def test_the_tax_id_hash_is_keyed_and_ignores_spelling(settings):
    first = audit_tax_id_hash("1779483742")
    assert len(first) == 64 and first == audit_tax_id_hash(" 1779 483 742")
    assert audit_tax_id_hash("КВ123456") == audit_tax_id_hash("KB123456")  # Latin look-alikes
    assert audit_tax_id_hash("not a tax id") == ""
    settings.SECRET_KEY = "another-key-for-another-installation-0123456789abcdef"
    assert audit_tax_id_hash("1779483742") != first


@pytest.mark.django_db
def test_audit_record_keeps_who_what_and_whom_it_showed(make_user):
    user = make_user("cashier")
    entry = audit_record(
        user=user,
        action="dwelling_search",
        query="Коваленко 1779483742",
        channel="api",
        dwelling_ids=[3, 1, 3],
        person_ids=[7],
    )
    entry.refresh_from_db()
    assert (entry.user, entry.organisation_code, entry.query, entry.channel) == (
        user,
        user.organisation.code,
        "Коваленко ******3742",
        "api",
    )
    assert entry.tax_id_hash == audit_tax_id_hash("1779483742")
    assert list(entry.subjects.order_by("id").values_list("kind", "object_id")) == [
        ("dwelling", 3),
        ("dwelling", 1),
        ("person", 7),
    ]
    anonymous = audit_record(user=None, action="certificate.verify")
    assert (anonymous.user, anonymous.organisation_code, anonymous.subjects.count()) == (None, "", 0)
