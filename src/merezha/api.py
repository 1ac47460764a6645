"""The JSON API under /api/v1/: token auth per organisation user; each app mounts its router here."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema

from merezha.api_auth import BearerAuth, TokensThrottled

api = NinjaAPI(
    title="Merezha API",
    version="1",
    description="The exchange-v1 interfaces of the Merezha hub. Authenticate with `Authorization: Bearer <token>`.",
    auth=BearerAuth(),
    urls_namespace="api",
)


@api.exception_handler(TokensThrottled)
def tokens_throttled(request: HttpRequest, exc: TokensThrottled) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": f"too many refused tokens from your address: try again in {exc.wait} s"},
        status=429,
    )
    response["Retry-After"] = str(exc.wait)
    return response


class MeOut(Schema):
    username: str
    role: str
    organisation: str
    organisation_kind: str


@api.get("/me", response=MeOut, tags=["auth"])
def me(request: HttpRequest) -> dict[str, str]:
    """Anyone with a valid token: who the token acts as."""
    user: Any = request.user
    return {
        "username": user.username,
        "role": user.role,
        "organisation": user.organisation.code,
        "organisation_kind": user.organisation.kind,
    }


from merezha.core.api import router as core_router  # noqa: E402
from merezha.exchange.api import router as exchange_router  # noqa: E402
from merezha.housing.api import router as housing_router  # noqa: E402
from merezha.payments.api import router as payments_router  # noqa: E402
from merezha.portal.api import router as portal_router  # noqa: E402
from merezha.providers.api import router as providers_router  # noqa: E402
from merezha.registers.api import router as registers_router  # noqa: E402
from merezha.registry.api import router as registry_router  # noqa: E402
from merezha.search.api import router as search_router  # noqa: E402
from merezha.settlements.api import router as settlements_router  # noqa: E402
from merezha.subsidies.api import router as subsidies_router  # noqa: E402

api.add_router("/", core_router)
api.add_router("/registry", registry_router)
api.add_router("/", providers_router)
api.add_router("/", payments_router)
api.add_router("/", registers_router)
api.add_router("/", subsidies_router)
api.add_router("/", search_router)
api.add_router("/", housing_router)
api.add_router("/", exchange_router)
api.add_router("/", settlements_router)
api.add_router("/bills", portal_router)
