"""Home pages: every user lands on the home page of its role."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from merezha.core.roles import Role
from merezha.organisations.permissions import role_required
from merezha.organisations.selectors import home_figures

#: The URL name of each role's home page. An app that builds a role's pages points its role here.
ROLE_HOME: dict[str, str] = {
    Role.ADMIN: "centre-home",
    Role.PROVIDER: "provider-home",
    Role.HOUSING: "housing-home",
    Role.SUBSIDY: "subsidy-home",
    Role.CASHIER: "desk-home",
    Role.MANAGER: "manager-home",
}


def home(request: HttpRequest) -> HttpResponse:
    """Anyone: the login page for a visitor, the role's home page for a user."""
    if not request.user.is_authenticated:
        return redirect("login")
    role = getattr(request.user, "role", "")
    if role in ROLE_HOME and request.user.organisation_id:  # type: ignore[union-attr]
        return redirect(ROLE_HOME[role])
    if request.user.is_superuser:
        return redirect("admin:index")
    return render(
        request, "organisations/home.html", {"title": _("No role assigned"), "figures": []}, status=403
    )


def _role_home(request: HttpRequest, title: str, links: list[dict[str, str]] | None = None) -> HttpResponse:
    figures = home_figures(user=request.user)  # type: ignore[arg-type]
    return render(
        request, "organisations/home.html", {"title": title, "figures": figures, "links": links or []}
    )


@role_required(Role.ADMIN)
def centre_home(request: HttpRequest) -> HttpResponse:
    """Information centre administrators: the hub's figures and its tools."""
    links = [
        {"url": reverse("centre-organisations"), "label": _("Organisations")},
        {"url": reverse("centre-tokens"), "label": _("API tokens")},
        {"url": reverse("admin:index"), "label": _("Administration")},
        {"url": reverse("registers-reconciliation"), "label": _("Reconciliation")},
        {"url": reverse("subsidy-rule"), "label": _("Subsidy rule")},
        {"url": reverse("debtors-export"), "label": _("Debtors")},
        {"url": reverse("inbox"), "label": _("Inbox")},
    ]
    return _role_home(request, _("Information centre"), links)


@role_required(Role.MANAGER)
def manager_home(request: HttpRequest) -> HttpResponse:
    """City management: city-wide figures and the debtors list."""
    return _role_home(request, _("Management"), [{"url": reverse("debtors-export"), "label": _("Debtors")}])
