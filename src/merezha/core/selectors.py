"""Reads of the core records."""

from __future__ import annotations

from django.db.models import QuerySet

from merezha.core.models import AuditEntry, InboxDocument


def inbox_list(*, organisation_code: str, kind: str | None = None) -> QuerySet[InboxDocument]:
    qs = InboxDocument.objects.filter(recipient_code=organisation_code)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def inbox_get(*, organisation_code: str, document_id: int) -> InboxDocument | None:
    return InboxDocument.objects.filter(recipient_code=organisation_code, pk=document_id).first()


def audit_list(*, action: str | None = None, limit: int = 200) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.select_related("user")
    if action:
        qs = qs.filter(action=action)
    return qs[:limit]
