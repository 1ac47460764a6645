"""The city-wide home pages (the information centre's, management's).

They show figures of several apps (organisations, the register), so they sit at the top of the
map beside `urls.py`; every other page belongs to the app whose work it shows.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from merezha.core.roles import Role
from merezha.organisations.permissions import role_required
from merezha.organisations.selectors import organisation_count
from merezha.registry.selectors import register_counts


def _city_home(request: HttpRequest, title: str, links: list[dict[str, str]]) -> HttpResponse:
    counts = register_counts()
    figures = [
        (_("Organisations"), organisation_count()),
        (_("Streets"), counts.streets),
        (_("Dwellings"), counts.dwellings),
        (_("Registered residents"), counts.residents),
    ]
    return render(request, "home.html", {"title": title, "figures": figures, "links": links})


@role_required(Role.ADMIN)
def centre_home(request: HttpRequest) -> HttpResponse:
    """Information centre administrators: the hub's figures and its tools."""
    links = [
        {"url": reverse("centre-organisations"), "label": _("Organisations")},
        {"url": reverse("centre-tokens"), "label": _("API tokens")},
        {"url": reverse("admin:index"), "label": _("Administration")},
        {"url": reverse("registers-reconciliation"), "label": _("Reconciliation")},
        {"url": reverse("settlement-reconciliation"), "label": _("Settlement")},
        {"url": reverse("subsidy-rule"), "label": _("Subsidy rule")},
        {"url": reverse("debtors-export"), "label": _("Debtors")},
        {"url": reverse("inbox"), "label": _("Inbox")},
    ]
    return _city_home(request, _("Information centre"), links)


@role_required(Role.MANAGER)
def manager_home(request: HttpRequest) -> HttpResponse:
    """City management: city-wide figures and the debtors list."""
    return _city_home(request, _("Management"), [{"url": reverse("debtors-export"), "label": _("Debtors")}])
