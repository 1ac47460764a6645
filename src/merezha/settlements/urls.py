"""Pages of the settlements app (mounted at the site root by merezha.urls)."""

from django.urls import path

from merezha.settlements import views

urlpatterns = [
    path("settlement/", views.reconciliation_page, name="settlement-reconciliation"),
    path("settlement/export.xlsx", views.reconciliation_xlsx, name="settlement-xlsx"),
    path("settlement/statements/", views.statement_upload, name="settlement-statement-upload"),
    path("settlement/terms/", views.terms_page, name="settlement-terms"),
]
