"""Web and API uploads: the file is stored, a waiting `Snapshot` recorded, and the import runs as a task
(`import_runs`).

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

from merezha.core.services import (
    IdempotencyConflict,
    idempotency_claim,
    idempotency_complete,
    request_fingerprint,
)
from merezha.organisations.models import Organisation
from merezha.providers.models import Snapshot
from merezha.providers.services.import_runs import snapshot_import_enqueue


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
    snapshot_import_enqueue(snapshot_id=snapshot.pk)
    snapshot.refresh_from_db()
    return snapshot, True
