"""Pages of the registers app (mounted at the site root by merezha.urls)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []  # noqa: F401
