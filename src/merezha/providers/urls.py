"""Pages of the providers app (mounted at the site root by merezha.urls)."""

from django.urls import path

from merezha.organisations import views as org_views

urlpatterns = [
    # the role's home page; replace the generic view with this app's own
    path("provider/", org_views.provider_home, name="provider-home"),
]
