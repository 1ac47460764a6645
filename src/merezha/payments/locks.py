"""The money loop's row locks: one module, one order.

Every writer of the money loop takes its row locks through these functions, in this order:

1. the idempotency claim (`core.services.idempotency_claim`; its unique row is its own lock);
2. the operational day row(s) of (point, day), several in point order — the row carries the
   receipt counter and the day's status, so receipt numbers never race and no payment lands in a
   day being closed;
3. the accounts of the payment's lines, in id order.

The organisation rows (a provider's register numbering at day close, a snapshot import) are
locked by `merezha.organisations.locks` with `FOR NO KEY UPDATE`.

Because every caller goes down this list and never back up it, two transactions never wait on
each other crosswise. Each lock is `SELECT … FOR NO KEY UPDATE` (`select_for_update(no_key=True)`)
of the row itself only (`of=("self",)` where related rows are read with it): the writers change
no key, and the foreign keys that point at these rows (a payment line's account) take
`FOR KEY SHARE`, which this mode does not block. SQLite has no row locks: there the first write of
the transaction takes the database's write lock (IMMEDIATE transactions), which serialises as much.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import QuerySet

from merezha.payments.models import OperationalDay
from merezha.providers.models import Account


def operational_day_lock_row(*, point_id: int, day: dt.date) -> OperationalDay | None:
    """The (point, day) row, locked until the transaction ends; None when it does not exist yet."""
    try:
        return OperationalDay.objects.select_for_update(no_key=True).get(point_id=point_id, day=day)
    except OperationalDay.DoesNotExist:
        return None


def operational_days_lock(*, point_ids: Iterable[int], day: dt.date) -> QuerySet[OperationalDay]:
    """The rows of `day` at the points of `point_ids`, to be locked in point order as they are read."""
    return (
        OperationalDay.objects.select_for_update(no_key=True)
        .filter(day=day, point_id__in=sorted(set(point_ids)))
        .order_by("point_id")
    )


def accounts_lock(*, account_ids: Iterable[int]) -> dict[int, Account]:
    """The accounts of `account_ids` that exist, with their provider and service, locked in id
    order until the transaction ends (the provider's and service's rows are read, not locked)."""
    found = (
        Account.objects.select_for_update(no_key=True, of=("self",))
        .select_related("provider", "service")
        .filter(pk__in=sorted(set(account_ids)))
        .order_by("pk")
    )
    return {account.pk: account for account in found}
