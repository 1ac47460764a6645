"""Web and API uploads: the file is stored, a waiting `Snapshot` recorded, and the import runs as a task.

An upload with an `Idempotency-Key` is accepted once: the same key with the same file and metadata
answers with the snapshot of the first upload; the same key with anything else is a conflict.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction

from merezha.core.hooks import imports_applied
from merezha.core.imports import ImportRejected
from merezha.core.progress import progress_clear, progress_reporter
from merezha.core.services import (
    IdempotencyConflict,
    idempotency_claim,
    idempotency_complete,
    request_fingerprint,
)
from merezha.organisations.models import Organisation
from merezha.providers.models import Snapshot
from merezha.providers.selectors import snapshot_progress_key
from merezha.providers.services.snapshot_import import snapshot_import


class UploadConflict(Exception):
    """The Idempotency-Key was used before for another file or other metadata."""


def _upload_dir() -> Path:
    path = Path(settings.HOME) / "uploads" / "snapshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _store(fileobj: IO[bytes] | Any) -> tuple[str, str]:
    """Copy the upload to the uploads folder in chunks; returns (path, sha256)."""
    digest = hashlib.sha256()
    path = _upload_dir() / f"{uuid.uuid4().hex}.upload"
    chunks = fileobj.chunks() if hasattr(fileobj, "chunks") else iter(lambda: fileobj.read(1 << 20), b"")
    with open(path, "wb") as out:
        for chunk in chunks:
            digest.update(chunk)
            out.write(chunk)
    return str(path), digest.hexdigest()


def snapshot_upload(
    *,
    provider: Organisation,
    user: Any,
    fileobj: IO[bytes] | Any,
    file_name: str,
    period: dt.date | None,
    payments_through: dt.date | None,
    accept_partial: bool = False,
    idempotency_key: str = "",
) -> tuple[Snapshot, bool]:
    """Record a waiting snapshot and enqueue its import. Returns (snapshot, is_new).

    Raises UploadConflict when `idempotency_key` was used with another file or other metadata.
    """
    path, checksum = _store(fileobj)
    fingerprint = request_fingerprint(
        {
            "checksum": checksum,
            "period": period.isoformat() if period else "",
            "payments_through": payments_through.isoformat() if payments_through else "",
            "accept_partial": accept_partial,
        }
    )
    try:
        with transaction.atomic():
            if idempotency_key:
                claim = idempotency_claim(
                    scope=f"snapshot-upload:{provider.pk}", key=idempotency_key[:128], fingerprint=fingerprint
                )
                if not claim.is_new:
                    existing = Snapshot.objects.get(provider=provider, pk=int(claim.row.result_id))
                    os.unlink(path)
                    return existing, False
            snapshot = Snapshot.objects.create(
                provider=provider,
                period=period,
                payments_through=payments_through,
                accept_partial=accept_partial,
                file_name=Path(file_name or "upload").name[:200],
                checksum=checksum,
                stored_path=path,
                created_by=user if getattr(user, "pk", None) else None,
            )
            if idempotency_key:
                idempotency_complete(claim=claim, result_type="snapshot", result_id=str(snapshot.pk))
    except IdempotencyConflict:
        os.unlink(path)
        raise UploadConflict(idempotency_key) from None
    except BaseException:
        if os.path.exists(path):
            os.unlink(path)
        raise
    from merezha.providers.tasks import snapshot_import_task

    snapshot_import_task.enqueue(snapshot.pk)
    snapshot.refresh_from_db()
    return snapshot, True


def snapshot_import_run(*, snapshot_id: int) -> str:
    """Run a waiting upload's import (the background task). Returns the snapshot's final status.

    A refused file leaves the snapshot `rejected` with its report; an unexpected failure rolls the
    import back (the previous snapshot stays in force) and leaves it `failed`.
    """
    updated = Snapshot.objects.filter(pk=snapshot_id, status=Snapshot.Status.PENDING).update(
        status=Snapshot.Status.RUNNING
    )
    snapshot = Snapshot.objects.select_related("provider", "created_by").get(pk=snapshot_id)
    if not updated:
        return snapshot.status
    key = snapshot_progress_key(snapshot_id=snapshot_id)
    try:
        fh = open(snapshot.stored_path, "rb")  # noqa: SIM115 (closed in finally, also when open fails below)
    except OSError:
        fh = None
    size = os.fstat(fh.fileno()).st_size if fh is not None else 0

    def read_share() -> dict[str, Any]:
        """How much of the file the reader has consumed, in per cent (XLSX: approximate)."""
        try:
            done = fh.tell() if fh is not None and not fh.closed else 0
        except (OSError, ValueError):
            done = 0
        return {"percent": min(99, done * 100 // size) if size else 0}

    try:
        report = snapshot_import(
            fh if fh is not None else snapshot.stored_path,
            provider=snapshot.provider,
            period=snapshot.period,
            payments_through=snapshot.payments_through,
            accept_partial=snapshot.accept_partial,
            user=snapshot.created_by,
            name=snapshot.file_name,
            snapshot=snapshot,
            progress=progress_reporter(key=key, extra=read_share),
        )
        imports_applied(report=report)
    except ImportRejected:
        pass
    except Exception as exc:
        Snapshot.objects.filter(pk=snapshot_id).update(
            status=Snapshot.Status.FAILED,
            report={"applied": False, "errors": [], "failure": f"{type(exc).__name__}: {exc}"[:500]},
        )
        raise
    finally:
        if fh is not None:
            fh.close()
        progress_clear(key=key)
        if snapshot.stored_path and os.path.exists(snapshot.stored_path):
            os.unlink(snapshot.stored_path)
        Snapshot.objects.filter(pk=snapshot_id).update(stored_path="")
    return Snapshot.objects.values_list("status", flat=True).get(pk=snapshot_id)
