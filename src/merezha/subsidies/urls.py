"""Pages of the subsidies app (mounted at the site root by merezha.urls)."""

from django.urls import path

from merezha.subsidies import views

urlpatterns = [
    path("subsidies/", views.home, name="subsidy-home"),
    path("subsidies/households/<int:dwelling_id>/", views.household, name="subsidy-household"),
    path(
        "subsidies/households/<int:dwelling_id>/certificate/",
        views.certificate_issue_view,
        name="subsidy-certificate-issue",
    ),
    path(
        "subsidies/households/<int:dwelling_id>/exemptions/",
        views.exemption_add,
        name="subsidy-exemption-add",
    ),
    path("subsidies/certificates/<str:number>/pdf/", views.certificate_pdf, name="subsidy-certificate-pdf"),
    path("subsidies/batch-checks/", views.batch_checks, name="subsidy-batch-checks"),
    path("subsidies/batch-checks/<int:check_id>/", views.batch_check, name="subsidy-batch-check"),
    path(
        "subsidies/batch-checks/<int:check_id>/result.<str:file_format>",
        views.batch_check_download,
        name="subsidy-batch-check-file",
    ),
    path("subsidies/decisions/", views.decisions, name="subsidy-decisions"),
    path("subsidies/decisions/new/", views.decision_new, name="subsidy-decision-new"),
    path("subsidies/decisions/upload/", views.decision_upload, name="subsidy-decision-upload"),
    path("subsidies/decisions/<int:decision_id>/", views.decision_detail, name="subsidy-decision"),
    path("subsidies/decisions/<int:decision_id>/part/", views.decision_part, name="subsidy-decision-part"),
    path("subsidies/rule/", views.rule_parameters, name="subsidy-rule"),
]
