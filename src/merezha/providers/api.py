"""API routes of the providers app, mounted by merezha.api."""

from ninja import Router

router = Router(tags=["providers"])
