"""Pages of the registers app (mounted at the site root by merezha.urls)."""

from django.urls import path

from merezha.registers import views

urlpatterns = [
    path("registers/reconciliation/", views.reconciliation_page, name="registers-reconciliation"),
]
