"""Pages of the housing app (mounted at the site root by merezha.urls)."""

from django.urls import path

from merezha.housing import views

urlpatterns = [
    path("housing/", views.home, name="housing-home"),
    path("housing/dwellings/<int:dwelling_id>/", views.dwelling, name="housing-dwelling"),
    path("housing/dwellings/<int:dwelling_id>/register/", views.person_register, name="housing-register"),
    path("housing/dwellings/<int:dwelling_id>/area/", views.dwelling_area, name="housing-area"),
    path(
        "housing/dwellings/<int:dwelling_id>/certificates/family/",
        views.certificate_family,
        name="housing-cert-family",
    ),
    path(
        "housing/dwellings/<int:dwelling_id>/certificates/payments/",
        views.certificate_payments,
        name="housing-cert-payments",
    ),
    path("housing/persons/<int:person_id>/deregister/", views.person_deregister, name="housing-deregister"),
    path("housing/persons/<int:person_id>/relation/", views.person_relation, name="housing-relation"),
    path("housing/persons/<int:person_id>/benefit/", views.person_benefit, name="housing-benefit"),
    path("housing/persons/<int:person_id>/absence/", views.person_absence, name="housing-absence"),
    path("housing/reports/debt/", views.report_debt, name="housing-report-debt"),
    path("housing/reports/debtors/", views.report_debtors, name="housing-report-debtors"),
    path("housing/reports/beneficiaries/", views.report_beneficiaries, name="housing-report-beneficiaries"),
    path("housing/reports/recalculation/", views.report_recalculation, name="housing-report-recalculation"),
    path("housing/reports/rent-anomalies/", views.report_rent_anomalies, name="housing-report-anomalies"),
    path("housing/reports/charts/", views.report_charts, name="housing-report-charts"),
    path("housing/change-reports/", views.change_reports, name="housing-change-reports"),
    path(
        "housing/change-reports/<int:report_id>/download/",
        views.change_report_office_download,
        name="housing-change-report-download",
    ),
    path("debtors/export.xlsx", views.debtors_export, name="debtors-export"),
    path("change-reports/", views.provider_change_reports, name="provider-change-reports"),
    path(
        "change-reports/<int:report_id>/download/",
        views.change_report_download,
        name="provider-change-report-download",
    ),
]
