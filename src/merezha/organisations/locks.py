"""The organisation-row locks: one helper, one lock mode, one order.

An organisation's row serialises the work that must not run twice at once for that organisation:
a provider's snapshot import, its register numbering at day close, a housing office's change
reports, a provider's alias rules. They lock the row with `SELECT … FOR NO KEY UPDATE`
(`select_for_update(no_key=True)`), not `FOR UPDATE`: the foreign keys that point at an
organisation (a payment's point, an account's provider) take `FOR KEY SHARE` on it when a row is
inserted, which `FOR NO KEY UPDATE` does not block and `FOR UPDATE` does. So a payment is never
kept waiting by a snapshot import or a day close of the organisations it refers to, and the
foreign keys stay. Several rows are locked in primary-key order, so two callers never wait on each
other crosswise. SQLite has no row locks: there, the first write of the transaction takes the
database's write lock (`IMMEDIATE` transactions), which serialises as much.
"""

from __future__ import annotations

from collections.abc import Iterable

from merezha.organisations.models import Organisation


def organisation_lock(*, organisation_id: int) -> Organisation | None:
    """Lock one organisation's row until the transaction ends; None if there is no such row."""
    return Organisation.objects.select_for_update(no_key=True).filter(pk=organisation_id).first()


def organisations_lock(*, organisation_ids: Iterable[int]) -> dict[int, Organisation]:
    """Lock several organisations' rows in primary-key order; their rows by id."""
    ids = sorted(set(organisation_ids))
    rows = Organisation.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
    return {o.pk: o for o in rows}
