"""Pages of the housing app."""

from django.urls import path  # noqa: F401

app_name = "housing"
urlpatterns: list = []
