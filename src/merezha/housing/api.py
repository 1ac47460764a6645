"""API routes of the housing app, mounted by merezha.api."""

from ninja import Router

router = Router(tags=["housing"])
