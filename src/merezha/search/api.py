"""API route of the cashier's search: GET /api/v1/search?q= (mounted by merezha.api).

Who may call it: a cashier (any payment point) — the same box as the desk; 403 for anyone else.
Results carry no tax id: a tax-id match is reported masked. Every search is audit-logged.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from merezha.api_auth import require_role
from merezha.core.roles import Role
from merezha.search.selectors import RESULT_LIMIT, dwelling_search

router = Router(tags=["search"])


class SearchHitOut(Schema):
    dwelling_id: int
    address: str
    office: str
    residents: int
    matched: str
    rank: int


@router.get("/search", response=list[SearchHitOut])
def search(request: HttpRequest, q: str = "", limit: int = RESULT_LIMIT) -> list[SearchHitOut]:
    """Cashier only: dwellings for one box's text (address, tax id, account number or surname), best first."""
    user = require_role(request, Role.CASHIER)
    hits = dwelling_search(query=q, user=user, channel="api", limit=max(1, min(limit, RESULT_LIMIT)))
    return [
        SearchHitOut(
            dwelling_id=h.dwelling_id,
            address=h.address,
            office=h.office,
            residents=h.residents,
            matched=h.matched,
            rank=h.rank,
        )
        for h in hits
    ]
