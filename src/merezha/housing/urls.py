"""Pages of the housing app (mounted at the site root by merezha.urls)."""

from django.urls import path

from merezha.organisations import views as org_views

urlpatterns = [
    # the role's home page; replace the generic view with this app's own
    path("housing/", org_views.housing_home, name="housing-home"),
]
