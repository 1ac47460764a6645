"""Pages of the providers app (mounted at the site root by merezha.urls)."""

from django.urls import path

from merezha.providers import views

urlpatterns = [
    path("provider/", views.provider_home, name="provider-home"),
    path("provider/snapshots/<int:snapshot_id>/", views.snapshot_detail, name="provider-snapshot"),
    path(
        "provider/snapshots/<int:snapshot_id>/discrepancies.<str:file_format>",
        views.discrepancies_download,
        name="provider-discrepancies",
    ),
    path("provider/services/", views.services, name="provider-services"),
    path(
        "provider/services/aliases/<int:alias_id>/remove/",
        views.service_alias_delete,
        name="provider-service-alias-remove",
    ),
    path("provider/tokens/", views.tokens, name="provider-tokens"),
    path("provider/tokens/<int:token_id>/revoke/", views.token_revoke, name="provider-token-revoke"),
]
