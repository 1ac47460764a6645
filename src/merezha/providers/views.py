"""The provider's pages: upload, history of uploads, one upload's report and discrepancies, service
aliases, API tokens.

Every page is for a provider's operator (role PROVIDER) and shows only its own organisation's
data: anyone else gets 403, and another provider's snapshot 404.
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from merezha.core.confirm import confirmation_needed, token_revoke_confirmation
from merezha.core.roles import Role
from merezha.organisations.models import Organisation
from merezha.organisations.permissions import role_required
from merezha.organisations.selectors import api_token_list, service_alias_list, service_names
from merezha.organisations.services import (
    ServiceAliasRefused,
    api_token_create,
    api_token_revoke,
    service_alias_add,
    service_alias_remove,
)
from merezha.providers.forms import ServiceAliasForm, SnapshotUploadForm, TokenCreateForm
from merezha.providers.models import Snapshot
from merezha.providers.selectors import (
    EXPORT_FORMATS,
    discrepancy_counts,
    discrepancy_list,
    discrepancy_report_file,
    provider_figures,
    snapshot_get,
    snapshot_list,
    snapshot_progress,
)
from merezha.providers.services import snapshot_upload
from merezha.uploads import upload_form_refusal, upload_kind

HISTORY_ROWS = 50
SHOWN_ROWS = 200
#: what a snapshot import did to the provider's accounts (its report's `changes`), as people read it
CHANGE_LABELS = {
    "created": pgettext_lazy("accounts", "new"),
    "updated": pgettext_lazy("accounts", "changed"),
    "unchanged": pgettext_lazy("accounts", "unchanged"),
    "closed": pgettext_lazy("accounts", "closed"),
}


def _changes(changes: dict[str, int]) -> list[tuple[str, int]]:
    """What the import did, in words and always in the same order (PostgreSQL's jsonb keeps no order)."""
    known = [(str(label), changes[kind]) for kind, label in CHANGE_LABELS.items() if kind in changes]
    return known + [(kind, n) for kind, n in sorted(changes.items()) if kind not in CHANGE_LABELS]


def _org(request: HttpRequest) -> Organisation:
    user: Any = request.user
    return user.organisation  # type: ignore[no-any-return]


@upload_kind("snapshot")
@role_required(Role.PROVIDER)
def provider_home(request: HttpRequest) -> HttpResponse:
    """Provider operator, own organisation: figures in force, the upload form and the history of uploads."""
    org = _org(request)
    form = SnapshotUploadForm()
    if request.method == "POST":
        form = SnapshotUploadForm(request.POST, request.FILES)
        if not upload_form_refusal(request, form) and form.is_valid():
            upload = form.cleaned_data["file"]
            snapshot, _new = snapshot_upload(
                provider=org,
                user=request.user,
                fileobj=upload,
                file_name=upload.name,
                period=form.cleaned_data["period"],
                payments_through=form.cleaned_data["payments_through"],
                accept_partial=form.cleaned_data["accept_partial"],
            )
            return redirect("provider-snapshot", snapshot_id=snapshot.pk)
    return render(
        request,
        "providers/home.html",
        {
            "form": form,
            "figures": provider_figures(provider=org),
            "snapshots": snapshot_list(provider=org)[:HISTORY_ROWS],
        },
        status=400 if form.errors else 200,
    )


@role_required(Role.PROVIDER)
def snapshot_detail(request: HttpRequest, snapshot_id: int) -> HttpResponse:
    """Provider operator, own organisation: one upload's status (refreshing while it runs), report and discrepancies."""
    snapshot = snapshot_get(provider=_org(request), snapshot_id=snapshot_id)
    if snapshot is None:
        raise Http404
    report = snapshot.report or {}
    errors = report.get("errors", [])
    return render(
        request,
        "providers/snapshot.html",
        {
            "snapshot": snapshot,
            "running": snapshot.status in (Snapshot.Status.PENDING, Snapshot.Status.RUNNING),
            "progress": snapshot_progress(snapshot=snapshot),
            "report": report,
            "changes": _changes(report.get("changes") or {}),
            "services": service_names(),
            "errors": errors[:SHOWN_ROWS],
            # the report keeps the first IMPORT_REPORT_MAX_ERRORS faults and counts them all
            "errors_total": max(len(errors), int(report.get("errors_total") or 0)),
            "counts": discrepancy_counts(snapshot=snapshot),
            "discrepancies": discrepancy_list(snapshot=snapshot)[:SHOWN_ROWS],
            "shown": SHOWN_ROWS,
        },
    )


@role_required(Role.PROVIDER)
def discrepancies_download(request: HttpRequest, snapshot_id: int, file_format: str) -> HttpResponse:
    """Provider operator, own organisation: the discrepancy report of one upload as CSV or XLSX."""
    snapshot = snapshot_get(provider=_org(request), snapshot_id=snapshot_id)
    if snapshot is None or file_format not in EXPORT_FORMATS:
        raise Http404
    export = discrepancy_report_file(snapshot=snapshot, file_format=file_format)
    handle = open(export.path, "rb")  # noqa: SIM115 - FileResponse closes it
    os.unlink(export.path)
    return FileResponse(  # type: ignore[return-value]
        handle, as_attachment=True, filename=export.file_name, content_type=export.content_type
    )


@role_required(Role.PROVIDER)
def services(request: HttpRequest) -> HttpResponse:
    """Provider operator, own organisation: the network services with its aliases of each, and a form
    to register an alias (a refused one re-renders the page with 400)."""
    org = _org(request)
    names = service_names()
    form = ServiceAliasForm(services=names)
    if request.method == "POST":
        form = ServiceAliasForm(request.POST, services=names)
        if form.is_valid():
            try:
                alias = service_alias_add(
                    provider=org, alias=form.cleaned_data["alias"], service_code=form.cleaned_data["service"]
                )
            except ServiceAliasRefused as exc:
                form.add_error("alias", exc.localised())
            else:
                messages.info(request, _("Alias %(alias)s added.") % {"alias": alias.alias})
                return redirect("provider-services")
    aliases: dict[str, list[Any]] = {code: [] for code in names}
    for alias in service_alias_list(provider=org):
        aliases.setdefault(alias.service.code, []).append(alias)
    return render(
        request,
        "providers/services.html",
        {"form": form, "rows": [(code, names.get(code, code), found) for code, found in aliases.items()]},
        status=400 if form.errors else 200,
    )


@require_POST
@role_required(Role.PROVIDER)
def service_alias_delete(request: HttpRequest, alias_id: int) -> HttpResponse:
    """Provider operator, own organisation: remove one of its aliases (another provider's alias: 404).
    Accounts keep their service; only later snapshots stop accepting the alias."""
    if not service_alias_remove(provider=_org(request), alias_id=alias_id):
        raise Http404
    messages.info(request, _("Alias removed."))
    return redirect("provider-services")


@role_required(Role.PROVIDER)
def tokens(request: HttpRequest) -> HttpResponse:
    """Provider operator: its own API tokens; a new token is shown once."""
    form = TokenCreateForm()
    plain = ""
    status = 200
    if request.method == "POST":
        form = TokenCreateForm(request.POST)
        if form.is_valid():
            _token, plain = api_token_create(user=request.user, name=form.cleaned_data["name"])  # type: ignore[arg-type]
            form = TokenCreateForm()
        else:
            status = 400
    return render(
        request,
        "providers/tokens.html",
        {"form": form, "plain": plain, "tokens": api_token_list(user=request.user)},  # type: ignore[arg-type]
        status=status,
    )


@require_POST
@role_required(Role.PROVIDER)
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Provider operator: revoke one of its own API tokens (another user's token: 404)."""
    token = api_token_list(user=request.user).filter(pk=token_id).first()  # type: ignore[arg-type]
    if token is None:
        raise Http404
    if confirmation_needed(request):
        return token_revoke_confirmation(request, prefix=token.prefix, back=reverse("provider-tokens"))
    api_token_revoke(token=token)
    messages.info(request, _("Token revoked."))
    return redirect("provider-tokens")
