"""The audit viewer's filter form: it only parses the query string into an `AuditFilter`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from merezha.audit.selectors import ACTION_LABELS, AuditFilter

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
#: a date typed by hand (`07.12.2026`) or given by a date picker (`2026-12-07`)
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE, input_formats=DATE_FORMATS)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE, input_formats=DATE_FORMATS)
    organisation = forms.ChoiceField(label=_("Organisation"), required=False)
    user = forms.CharField(label=_("User (login)"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False)
    dwelling = forms.IntegerField(label=_("Dwelling id"), required=False, min_value=1, max_value=2**62)
    tax_id = forms.CharField(label=_("Tax id asked for"), required=False, max_length=20)

    def __init__(self, *args: Any, organisations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", _("all")), *organisations]  # type: ignore[attr-defined]
        self.fields["action"].choices = [("", _("all")), *ACTION_LABELS.items()]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data

    def filters(self) -> AuditFilter:
        data = self.cleaned_data
        return AuditFilter(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            organisation=data.get("organisation") or "",
            user=(data.get("user") or "").strip(),
            action=data.get("action") or "",
            dwelling_id=data.get("dwelling"),
            tax_id=(data.get("tax_id") or "").strip(),
        )
