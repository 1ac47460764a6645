"""Pages of the exchange (mounted at the site root by merezha.urls)."""

from django.urls import path

from merezha.exchange import views

urlpatterns = [
    path("inbox/<int:document_id>/", views.document_page, name="inbox-document"),
    path("inbox/<int:document_id>/file.<str:fmt>", views.document_download, name="inbox-document-file"),
    path("exchange/jobs/", views.jobs_page, name="exchange-jobs"),
    path("exchange/monitor/", views.monitor_page, name="exchange-monitor"),
    path("exchange/monitor.csv", views.monitor_csv, name="exchange-monitor-csv"),
    path("exchange/charts/", views.charts_page, name="exchange-charts"),
    path("exchange/webhook/", views.webhook_page, name="exchange-webhook"),
]
