"""Pages of the payments app (mounted at the site root by merezha.urls)."""

from django.urls import path

from merezha.organisations import views as org_views

urlpatterns = [
    # the role's home page; replace the generic view with this app's own
    path("desk/", org_views.desk_home, name="desk-home"),
]
