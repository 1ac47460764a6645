"""The information centre's onboarding pages and the organisation administrator's token pages."""

from django.urls import path

from merezha.organisations import onboarding as views

urlpatterns = [
    path("centre/organisations/", views.organisations, name="centre-organisations"),
    path("centre/organisations/new/", views.organisation_new, name="centre-organisation-new"),
    path("centre/organisations/<int:organisation_id>/", views.organisation, name="centre-organisation"),
    path(
        "centre/organisations/<int:organisation_id>/services/",
        views.provider_service,
        name="centre-provider-service",
    ),
    path(
        "centre/organisations/<int:organisation_id>/buildings/",
        views.office_building,
        name="centre-office-building",
    ),
    path("centre/organisations/<int:organisation_id>/users/", views.user_new, name="centre-user-new"),
    path("centre/users/<int:user_id>/", views.centre_user, name="centre-user"),
    path("centre/users/<int:user_id>/active/", views.centre_user_active, name="centre-user-active"),
    path("centre/users/<int:user_id>/tokens/", views.centre_token_issue, name="centre-token-issue"),
    path("centre/tokens/", views.centre_tokens, name="centre-tokens"),
    path("centre/tokens/<int:token_id>/rotate/", views.centre_token_rotate, name="centre-token-rotate"),
    path("centre/tokens/<int:token_id>/revoke/", views.centre_token_revoke, name="centre-token-revoke"),
    path("organisation/users/", views.org_users, name="org-users"),
    path("organisation/users/<int:user_id>/", views.org_user, name="org-user"),
    path("organisation/users/<int:user_id>/tokens/", views.org_token_issue, name="org-token-issue"),
    path("organisation/tokens/<int:token_id>/rotate/", views.org_token_rotate, name="org-token-rotate"),
    path("organisation/tokens/<int:token_id>/revoke/", views.org_token_revoke, name="org-token-revoke"),
]
