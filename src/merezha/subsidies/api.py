"""API routes of the subsidies app, mounted by merezha.api."""

from ninja import Router

router = Router(tags=["subsidies"])
