"""Forms of the provider's pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from merezha.core.identifiers import parse_date, parse_period
from merezha.core.reasons import reason_localise
from merezha.organisations.services import ALIAS_MAX_LENGTH


class SnapshotUploadForm(forms.Form):
    file = forms.FileField(label=_("Snapshot file (CSV, XLSX, DBF or JSON)"))
    period = forms.CharField(
        label=_("Period (YYYY-MM)"),
        required=False,
        max_length=7,
        help_text=_("Leave empty for a JSON file that says it"),
    )
    payments_through = forms.CharField(
        label=_("Payments applied through (YYYY-MM-DD)"), required=False, max_length=10
    )
    accept_partial = forms.BooleanField(label=_("Apply the valid rows if some are rejected"), required=False)

    def clean_period(self) -> dt.date | None:
        text = self.cleaned_data.get("period", "").strip()
        if not text:
            return None
        try:
            return parse_period(text)
        except ValueError as exc:
            raise forms.ValidationError(reason_localise(str(exc))) from None

    def clean_payments_through(self) -> dt.date | None:
        text = self.cleaned_data.get("payments_through", "").strip()
        if not text:
            return None
        try:
            return parse_date(text)
        except ValueError as exc:
            raise forms.ValidationError(reason_localise(str(exc))) from None


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)


class ServiceAliasForm(forms.Form):
    """An alias and the network service it names; the rules are `organisations.services.service_alias_add`'s."""

    alias = forms.CharField(label=_("Your name for the service"), max_length=ALIAS_MAX_LENGTH)
    service = forms.ChoiceField(label=_("Network service"))

    def __init__(self, *args: Any, services: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(code, name or code) for code, name in services.items()]
        self.fields["service"].choices = choices  # type: ignore[attr-defined]
