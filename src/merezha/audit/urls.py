"""Pages of the audit viewer (mounted at the site root by merezha.urls)."""

from django.urls import path

from merezha.audit import views

urlpatterns = [
    path("centre/audit/", views.audit_log, name="audit-log"),
    path("centre/audit/export.<str:file_format>", views.audit_export, name="audit-export"),
]
