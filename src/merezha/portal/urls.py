"""The resident's pages, the housing office's bill actions and bill batches."""

from django.urls import path

from merezha.portal import views

urlpatterns = [
    path("resident/", views.resident_sign_in, name="resident-sign-in"),
    path("resident/sign-out/", views.resident_sign_out, name="resident-sign-out"),
    path("resident/home/", views.resident_home, name="resident-home"),
    path("resident/payments/", views.resident_payments, name="resident-payments"),
    path("resident/looks/", views.resident_looks, name="resident-looks"),
    path("resident/certificate/", views.resident_certificate, name="resident-certificate"),
    path("resident/bill.pdf", views.resident_bill, name="resident-bill"),
    path("housing/dwellings/<int:dwelling_id>/bill.pdf", views.housing_bill, name="portal-housing-bill"),
    path(
        "housing/dwellings/<int:dwelling_id>/access-code/",
        views.housing_code_rotate,
        name="portal-code-rotate",
    ),
    path("bills/batches/", views.batches, name="portal-batches"),
    path("bills/batches/<int:batch_id>/", views.batch_status, name="portal-batch-status"),
    path(
        "bills/batches/<int:batch_id>/<str:office_code>.pdf",
        views.batch_download,
        name="portal-batch-download",
    ),
]
