"""API routes of the payments app, mounted by merezha.api."""

from ninja import Router

router = Router(tags=["payments"])
