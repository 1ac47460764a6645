"""API routes of the registers app, mounted by merezha.api."""

from ninja import Router

router = Router(tags=["registers"])
