"""What an inbox document is, read back for its recipient: the page's preview and the files.

Every kind of document is opened and downloaded through here, in the formats its kind has:
registers as CSV/XLSX/DBF/JSON (registers.files, the exchange formats) and a printable PDF,
change reports as CSV/XLSX/JSON (housing.selectors), discrepancy reports as CSV/XLSX
(providers.selectors), a subsidy decision's part as JSON. The object is found by the document's
reference and must belong to the document's recipient; anything else is None (callers answer 404).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from merezha.core.certificates import render_pdf
from merezha.core.models import InboxDocument
from merezha.formats.writers import CONTENT_TYPES

#: the formats of each kind, in the order the page offers them
FORMATS: dict[str, tuple[str, ...]] = {
    InboxDocument.Kind.REGISTER: ("pdf", "csv", "xlsx", "dbf", "json"),
    InboxDocument.Kind.CHANGE_REPORT: ("csv", "xlsx", "json"),
    InboxDocument.Kind.DISCREPANCY_REPORT: ("csv", "xlsx"),
    InboxDocument.Kind.SUBSIDY_DECISION: ("json",),
    InboxDocument.Kind.REMINDER: (),
}
PDF = "application/pdf"


@dataclass(frozen=True)
class DocumentFile:
    content: bytes
    content_type: str
    file_name: str


def document_formats(*, document: InboxDocument) -> tuple[str, ...]:
    return FORMATS.get(document.kind, ())


def _addressed(model: Any, document: InboxDocument, *related: str) -> Any:
    """The document's object (by its numeric id) when it belongs to the document's recipient."""
    if not document.object_id.isdigit():
        return None
    return (
        model.objects.select_related(*related)
        .filter(pk=int(document.object_id), provider__code=document.recipient_code)
        .first()
    )


def _register(document: InboxDocument) -> Any:
    from merezha.registers.models import Register

    return _addressed(Register, document, "provider") if document.object_type == "register" else None


def _change_report(document: InboxDocument) -> Any:
    from merezha.housing.models import ChangeReport

    return _addressed(ChangeReport, document, "office", "provider")


def _snapshot(document: InboxDocument) -> Any:
    from merezha.providers.models import Snapshot

    return _addressed(Snapshot, document, "provider")


def _decision_part(document: InboxDocument) -> Any:
    from merezha.subsidies.models import DecisionDelivery

    return (
        DecisionDelivery.objects.select_related("decision__office", "provider")
        .filter(document=document, provider__code=document.recipient_code)
        .first()
    )


def _read_and_remove(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(path)


def register_pdf(*, register: Any) -> bytes:
    """The printable register: its summary per point and every line, totals in hryvnias."""
    from merezha.registers.files import register_lines

    return render_pdf(
        template="exchange/register_pdf.html",
        context={
            "register": register,
            "lines": register_lines(registers=[register]),
            "issued": timezone.localtime(register.issued_at),
        },
    )


def document_file(*, document: InboxDocument, fmt: str) -> DocumentFile | None:
    """The document's file in `fmt`; None when the kind has no such format or the object is gone."""
    if fmt not in document_formats(document=document):
        return None
    if document.kind == InboxDocument.Kind.REGISTER:
        from merezha.registers.files import content_type, register_file_write

        reg = _register(document)
        if reg is None:
            return None
        name = f"register-{reg.provider.code}-{reg.number}-{reg.operational_day.isoformat()}.{fmt}"
        if fmt == "pdf":
            return DocumentFile(register_pdf(register=reg), PDF, name)
        fd, path = tempfile.mkstemp(suffix="." + fmt)
        os.close(fd)
        register_file_write(registers=[reg], fmt=fmt, path=path)
        return DocumentFile(_read_and_remove(path), content_type(fmt), name)
    if document.kind == InboxDocument.Kind.CHANGE_REPORT:
        from merezha.housing.selectors import change_report_file

        report = _change_report(document)
        if report is None:
            return None
        content, ctype, name = change_report_file(report=report, fmt=fmt)
        return DocumentFile(content, ctype, name)
    if document.kind == InboxDocument.Kind.DISCREPANCY_REPORT:
        from merezha.providers.selectors import discrepancy_report_file

        snapshot = _snapshot(document)
        if snapshot is None:
            return None
        export = discrepancy_report_file(snapshot=snapshot, file_format=fmt)
        return DocumentFile(_read_and_remove(export.path), export.content_type, export.file_name)
    if document.kind == InboxDocument.Kind.SUBSIDY_DECISION:
        part = _decision_part(document)
        if part is None:
            return None
        body = json.dumps(part.payload, ensure_ascii=False, indent=2).encode()
        return DocumentFile(
            body, CONTENT_TYPES["json"], f"subsidy-decision-{part.decision.number}-{part.provider.code}.json"
        )
    return None


def document_preview(*, document: InboxDocument) -> dict[str, Any]:
    """What the document's page shows of it besides the title: the kind's object and figures."""
    if document.kind == InboxDocument.Kind.REGISTER:
        return {"register": _register(document)}
    if document.kind == InboxDocument.Kind.CHANGE_REPORT:
        report = _change_report(document)
        return {"report": report, "report_lines": (report.lines[:50] if report else [])}
    if document.kind == InboxDocument.Kind.DISCREPANCY_REPORT:
        from merezha.providers.models import Discrepancy

        snapshot = _snapshot(document)
        rows = (
            list(Discrepancy.objects.filter(snapshot=snapshot).order_by("line", "id")[:50])
            if snapshot
            else []
        )
        return {"snapshot": snapshot, "discrepancies": rows}
    if document.kind == InboxDocument.Kind.SUBSIDY_DECISION:
        part = _decision_part(document)
        return {"part": part.payload if part else None}
    return {}
