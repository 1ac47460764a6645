"""The snapshot import's report back to the provider: its data as it disagrees with the register.

A few `INSERT … SELECT`s from the staged rows (address problems found while staging, invalid tax
ids, payers not registered in the dwelling, tax ids that disagree with the register), then one
inbox document to the provider with a checksum of the report's lines. The hub never corrects
the provider's data. See docs/explanation/snapshot-import.md.
"""

from __future__ import annotations

import hashlib

from django.db import connection

from merezha.core.inbox import HUB_SENDER
from merezha.core.models import InboxDocument
from merezha.core.services import inbox_deliver
from merezha.organisations.models import Organisation
from merezha.providers.models import Discrepancy, Snapshot
from merezha.providers.services.staging import ADDRESSES, SERVICE, STAGING
from merezha.registry.models import Person


def discrepancies_record(*, snapshot_id: int) -> dict[str, int]:
    """The report back to the provider: its data as it disagrees with the register, never corrected."""
    dis, person = Discrepancy._meta.db_table, Person._meta.db_table
    insert = (
        f"INSERT INTO {dis} (snapshot_id, account_number, service_code, line, kind, address, payer, detail)"
    )
    address = "SUBSTR(ad.street || ', ' || ad.house || CASE WHEN ad.apartment <> '' THEN ', ' || ad.apartment ELSE '' END, 1, 200)"
    rows = (
        f"{STAGING} s JOIN {ADDRESSES} ad ON ad.id = s.address_id JOIN {SERVICE} sv ON sv.id = s.service_id"
    )
    with connection.cursor() as cur:
        cur.execute(
            f"""{insert} SELECT %s, s.account, sv.code, s.line, ad.kind, {address}, s.payer, ad.detail
                FROM {rows} WHERE s.rejected = 0 AND ad.kind IS NOT NULL""",
            [snapshot_id],
        )
        cur.execute(
            f"""{insert} SELECT %s, s.account, sv.code, s.line, %s, {address}, s.payer,
                    SUBSTR(s.tax_detail, 1, 300)
                FROM {rows} WHERE s.rejected = 0 AND s.tax_detail <> ''""",
            [snapshot_id, Discrepancy.Kind.INVALID_TAX_ID],
        )
        cur.execute(
            f"""{insert} SELECT %s, s.account, sv.code, s.line, %s, {address}, s.payer,
                    SUBSTR('payer ' || s.payer || ' is not registered in the dwelling', 1, 300)
                FROM {rows} WHERE s.rejected = 0 AND ad.dwelling_id IS NOT NULL AND s.payer_key <> ''
                AND NOT EXISTS (SELECT 1 FROM {person} p WHERE p.dwelling_id = ad.dwelling_id
                                AND p.is_active AND p.surname_key = s.payer_key)""",
            [snapshot_id, Discrepancy.Kind.PAYER_NOT_REGISTERED],
        )
        cur.execute(
            f"""{insert} SELECT %s, s.account, sv.code, s.line, %s, {address}, s.payer,
                    SUBSTR(CASE WHEN EXISTS (SELECT 1 FROM {person} q WHERE q.dwelling_id = ad.dwelling_id
                                AND q.is_active AND q.surname_key = s.payer_key AND q.tax_id <> '')
                        THEN 'tax id ' || s.tax_id || ' differs from the register''s for ' || s.payer
                        ELSE 'tax id ' || s.tax_id || ' belongs to a person registered elsewhere' END, 1, 300)
                FROM {rows} WHERE s.rejected = 0 AND ad.dwelling_id IS NOT NULL AND s.tax_id <> ''
                AND s.tax_detail = ''
                AND NOT EXISTS (SELECT 1 FROM {person} p WHERE p.dwelling_id = ad.dwelling_id
                                AND p.is_active AND p.tax_id = s.tax_id)
                AND (EXISTS (SELECT 1 FROM {person} q WHERE q.dwelling_id = ad.dwelling_id
                             AND q.is_active AND q.surname_key = s.payer_key AND q.tax_id <> '')
                     OR EXISTS (SELECT 1 FROM {person} e WHERE e.tax_id = s.tax_id AND e.is_active))""",
            [snapshot_id, Discrepancy.Kind.TAX_ID_MISMATCH],
        )
        cur.execute(
            f"SELECT kind, COUNT(*) FROM {dis} WHERE snapshot_id = %s GROUP BY kind ORDER BY kind",
            [snapshot_id],
        )
        return {kind: int(n) for kind, n in cur.fetchall()}


def discrepancy_report_deliver(*, snapshot: Snapshot, provider: Organisation, count: int) -> None:
    """The discrepancy report goes to the provider's inbox, with a checksum of its lines."""
    digest = hashlib.sha256()
    rows = (
        Discrepancy.objects.filter(snapshot=snapshot)
        .order_by("line", "id")
        .values_list("line", "account_number", "service_code", "kind", "detail")
    )
    for row in rows.iterator(chunk_size=5000):
        digest.update(("\t".join(str(v) for v in row) + "\n").encode())
    inbox_deliver(
        kind=InboxDocument.Kind.DISCREPANCY_REPORT,
        sender_code=HUB_SENDER,
        recipient_code=provider.code,
        values={"snapshot": snapshot.pk, "period": f"{snapshot.period:%Y-%m}", "count": count},
        object_type="providers.snapshot",
        object_id=str(snapshot.pk),
        checksum=digest.hexdigest(),
    )
