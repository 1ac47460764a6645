from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from merezha import views as city_views
from merezha.api import api
from merezha.core import views as core_views
from merezha.organisations import views as org_views
from merezha.organisations.forms import LoginForm

admin.site.site_header = "Merezha"

urlpatterns = [
    path("", org_views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("inbox/", org_views.inbox, name="inbox"),
    path("inbox/<int:document_id>/acknowledge/", org_views.inbox_acknowledge_view, name="inbox-acknowledge"),
    path("favicon.ico", core_views.site_icon, name="site-icon"),
    path("verify/", core_views.certificate_verify_view, name="certificate-verify-form"),
    path("verify/<str:number>/", core_views.certificate_verify_view, name="certificate-verify"),
    path("centre/", city_views.centre_home, name="centre-home"),
    path("manager/", city_views.manager_home, name="manager-home"),
    path("", include("merezha.organisations.urls")),  # the centre's onboarding, organisation administrators
    path("", include("merezha.desk.urls")),  # the cashier's desk
    path("", include("merezha.providers.urls")),
    path("", include("merezha.payments.urls")),
    path("", include("merezha.registers.urls")),
    path("", include("merezha.settlements.urls")),
    path("", include("merezha.subsidies.urls")),
    path("", include("merezha.housing.urls")),
    path("", include("merezha.exchange.urls")),
    path("", include("merezha.audit.urls")),
    path("", include("merezha.portal.urls")),
]

# Ukrainian error pages: templates/403.html, 404.html, 500.html (Django's own views render them)
handler403 = "django.views.defaults.permission_denied"
handler404 = "django.views.defaults.page_not_found"
handler500 = "django.views.defaults.server_error"
