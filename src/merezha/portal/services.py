"""Writes of the portal: access codes (issue, rotate), the resident's sign-in, bill batches."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from merezha.core.services import audit_record
from merezha.portal import selectors
from merezha.portal.models import BillBatch, ResidentAccess, SignInAttempt
from merezha.providers.models import Account
from merezha.registry.models import Dwelling


class NotYourDwelling(LookupError):
    """The dwelling is not one of the office's (callers answer 404)."""


def _new_access(dwelling_id: int) -> ResidentAccess:
    nonce = secrets.token_hex(16)
    code = selectors.access_code_derive(dwelling_id=dwelling_id, nonce=nonce)
    return ResidentAccess(
        dwelling_id=dwelling_id,
        nonce=nonce,
        code_hash=selectors.access_code_hash(dwelling_id=dwelling_id, code=code),
    )


def access_codes_ensure(*, dwelling_ids: list[int]) -> None:
    """Give every dwelling that has no access code one (idempotent: existing codes stay)."""
    have = set(
        ResidentAccess.objects.filter(dwelling_id__in=dwelling_ids).values_list("dwelling_id", flat=True)
    )
    missing = [_new_access(did) for did in dict.fromkeys(dwelling_ids) if did not in have]
    if missing:
        ResidentAccess.objects.bulk_create(missing, batch_size=1000, ignore_conflicts=True)


@transaction.atomic
def access_code_rotate(*, office: Any, dwelling_id: int, user: Any) -> str:
    """HOUSING (own office): a new access code for the dwelling; the old one and its sessions stop working.
    Returns the new code (the office prints a new bill or hands it over)."""
    if not Dwelling.objects.filter(pk=dwelling_id, office=office).exists():
        raise NotYourDwelling(dwelling_id)
    fresh = _new_access(dwelling_id)
    ResidentAccess.objects.update_or_create(
        dwelling_id=dwelling_id,
        defaults={
            "nonce": fresh.nonce,
            "code_hash": fresh.code_hash,
            "rotated_at": timezone.now(),
            "rotated_by": user if getattr(user, "pk", None) else None,
        },
    )
    audit_record(user=user, action="portal_code_rotate", object_type="dwelling", object_id=str(dwelling_id))
    return selectors.access_code_derive(dwelling_id=dwelling_id, nonce=fresh.nonce)


# --- sign-in -------------------------------------------------------------------------------------


def _key(label: str, text: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{label}:{text}".encode(), hashlib.sha256).hexdigest()


def _account(text: str) -> str:
    """An account number as typed, without spaces, upper case (the key failures are counted by)."""
    return "".join((text or "").split()).upper()


@dataclass(frozen=True)
class SignIn:
    dwelling_id: int | None  # signed in to this dwelling
    nonce: str  # the access's nonce: a session ends when it changes
    locked: bool  # too many failures: the form is locked
    failures: int  # failures counted in the window (after this attempt)


def sign_in_failures(*, account: str, client: str) -> int:
    """Failures in the lock-out window for this account number or this client, whichever is more."""
    since = timezone.now() - dt.timedelta(minutes=settings.PORTAL_LOCKOUT_MINUTES)
    recent = SignInAttempt.objects.filter(at__gte=since, succeeded=False)
    number = _account(account)
    return max(
        recent.filter(account_key=_key("account", number)).count(),
        recent.filter(client_key=_key("client", client)).count(),
    )


@transaction.atomic
def resident_sign_in(*, code: str, account: str, client: str) -> SignIn:
    """Check the printed access code against the dwellings of the account number.

    Locked once PORTAL_MAX_FAILURES wrong attempts for the account number or from the client fall
    within PORTAL_LOCKOUT_MINUTES; a locked attempt checks nothing and is not counted again.
    """
    number = _account(account)
    limit = settings.PORTAL_MAX_FAILURES
    failures = sign_in_failures(account=number, client=client)
    if failures >= limit:
        return SignIn(None, "", True, failures)
    wanted = selectors.access_code_normalise(code)
    dwelling_ids = list(
        Account.objects.filter(number__in={account.strip(), number}, is_active=True, dwelling__isnull=False)
        .values_list("dwelling_id", flat=True)
        .distinct()
    )
    found: ResidentAccess | None = None
    for access in ResidentAccess.objects.filter(dwelling_id__in=dwelling_ids).order_by("dwelling_id"):
        expected = access.code_hash
        given = selectors.access_code_hash(dwelling_id=access.dwelling_id, code=wanted)
        if hmac.compare_digest(expected, given) and found is None:
            found = access
    SignInAttempt.objects.create(
        account_key=_key("account", number),
        client_key=_key("client", client),
        succeeded=found is not None,
        dwelling_id=found.dwelling_id if found else None,
    )
    if found is None:
        return SignIn(None, "", failures + 1 >= limit, failures + 1)
    return SignIn(found.dwelling_id, found.nonce, False, failures)


def resident_session_valid(*, dwelling_id: int, nonce: str) -> bool:
    """True while the dwelling's access code is the one the resident signed in with."""
    return ResidentAccess.objects.filter(dwelling_id=dwelling_id, nonce=nonce).exists()


# --- bills ---------------------------------------------------------------------------------------


def bill_pdf(*, dwelling_ids: list[int], layout: str | None = None, base_url: str | None = None) -> bytes:
    """The unified bills of the dwellings as one PDF (access codes issued where missing)."""
    from merezha.portal.bills import bills_render

    access_codes_ensure(dwelling_ids=dwelling_ids)
    return bills_render(
        bills=selectors.bills_build(dwelling_ids=dwelling_ids), layout=layout, base_url=base_url
    )


def bill_batch_start(*, office: Any | None, user: Any, layout: str | None = None) -> BillBatch:
    """Queue the bills of one office (or, with office None, of every office) as a background task."""
    batch = BillBatch.objects.create(
        office=office,
        layout=layout or settings.PORTAL_BILL_LAYOUT,
        created_by=user if getattr(user, "pk", None) else None,
    )
    transaction.on_commit(lambda: bill_batch_task.enqueue(batch.pk))
    return batch


def _batch_dir(batch_id: int) -> Path:
    path = Path(settings.HOME) / "bills" / str(batch_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _render(bills: list[Any], layout: str) -> bytes:
    from merezha.portal.bills import bills_render

    return bills_render(bills=bills, layout=layout)


def bill_batch_run(*, batch_id: int, chunk: int | None = None, workers: int | None = None) -> BillBatch:
    """Make the batch's PDFs, one per office, writing progress (done/total) as it goes.

    The task reads the bills' figures in chunks (PORTAL_BILL_CHUNK) and renders the chunks in
    `workers` processes (PORTAL_BILL_WORKERS; rendering is CPU-bound and needs no database), which
    also bounds memory; an office's chunks are joined into one PDF (portal.bills.pdf_join).
    """
    from concurrent.futures import Future, ProcessPoolExecutor

    from merezha.portal.bills import pdf_join

    batch = BillBatch.objects.select_related("office").get(pk=batch_id)
    size = chunk or settings.PORTAL_BILL_CHUNK
    if batch.layout == "a4x2":
        size += size % 2  # whole pages: two bills each
    workers = workers or settings.PORTAL_BILL_WORKERS
    ids = selectors.office_dwelling_ids(office_id=batch.office_id)
    by_office: dict[str, list[int]] = {}
    offices = dict(Dwelling.objects.filter(pk__in=ids).values_list("pk", "office__code"))
    for did in ids:
        by_office.setdefault(offices[did], []).append(did)
    BillBatch.objects.filter(pk=batch.pk).update(status=BillBatch.Status.RUNNING, total=len(ids), done=0)
    done = 0
    files: dict[str, Any] = {}
    folder = _batch_dir(batch.pk)
    pool = None
    if workers > 1:
        # forked workers only render (no database); they end by os._exit, so they never close the
        # parent's inherited database connection
        pool = ProcessPoolExecutor(max_workers=workers)
    try:
        for office_code, office_ids in by_office.items():
            parts: list[Future[bytes] | bytes] = []
            pending: list[tuple[Future[bytes], int]] = []
            for start in range(0, len(office_ids), size):
                part_ids = office_ids[start : start + size]
                access_codes_ensure(dwelling_ids=part_ids)
                bills = selectors.bills_build(dwelling_ids=part_ids)
                if pool is None:
                    parts.append(_render(bills, batch.layout))
                    done += len(part_ids)
                    BillBatch.objects.filter(pk=batch.pk).update(done=done)
                    continue
                future = pool.submit(_render, bills, batch.layout)
                parts.append(future)
                pending.append((future, len(part_ids)))
                while len(pending) > workers * 2 or (pending and pending[0][0].done()):
                    first, count = pending.pop(0)
                    first.result()
                    done += count
                    BillBatch.objects.filter(pk=batch.pk).update(done=done)
            for future, count in pending:
                future.result()
                done += count
                BillBatch.objects.filter(pk=batch.pk).update(done=done)
            pdfs = [p.result() if isinstance(p, Future) else p for p in parts]
            target = folder / f"{_safe(office_code)}.pdf"
            target.write_bytes(pdf_join(pdfs))
            files[office_code] = {"path": str(target.relative_to(settings.HOME)), "bills": len(office_ids)}
    except Exception as exc:  # noqa: BLE001 - the batch records the failure for the page
        BillBatch.objects.filter(pk=batch.pk).update(
            status=BillBatch.Status.FAILED, error=str(exc)[:300], files=files, finished_at=timezone.now()
        )
        raise
    finally:
        if pool is not None:
            pool.shutdown()
    BillBatch.objects.filter(pk=batch.pk).update(
        status=BillBatch.Status.DONE, files=files, done=done, finished_at=timezone.now()
    )
    batch.refresh_from_db()
    return batch


def _safe(code: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in code)


@task()
def bill_batch_task(batch_id: int) -> str:
    """Make a queued batch of bills in the task worker; returns its final status. Declared beside
    the service it runs, so `bill_batch_start` enqueues it without a cycle."""
    return bill_batch_run(batch_id=batch_id).status
