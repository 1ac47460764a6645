"""Forms of the subsidy office's pages: they parse and check input; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from merezha.core.dates import ImplausibleDate, plausible_day_check
from merezha.core.money import Money, MoneyError
from merezha.core.reasons import reason_localise
from merezha.subsidies.models import Exemption, FamilyType

SERVICE_CODES = ("water", "sewer", "heat", "hot_water", "rent", "waste", "gas", "electricity", "lift")


class MoneyFormField(forms.CharField):
    """An amount: shown as `680,00` (decimal comma, as pages show figures), read with a comma or a dot."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Money):
            return value.input_text()
        if isinstance(value, str) and value:
            try:
                return Money.parse(value).input_text()
            except MoneyError:
                return value  # as typed, beside its error
        return value

    def to_python(self, value: Any) -> Money | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return Money.parse(text)
        except MoneyError as exc:
            raise forms.ValidationError(reason_localise(str(exc))) from None


class CheckForm(forms.Form):
    """As of which date and for which family the rule is applied."""

    date = forms.DateField(
        label=_("Application date"), required=False, input_formats=["%Y-%m-%d", "%d.%m.%Y"]
    )
    family_type = forms.ChoiceField(label=_("Family"), choices=FamilyType.choices, required=False)

    def clean_date(self) -> Any:
        day = self.cleaned_data.get("date")
        if day is not None:
            try:
                plausible_day_check(day)
            except ImplausibleDate as exc:
                raise forms.ValidationError(reason_localise(str(exc))) from None
        return day

    def on(self) -> Any:
        return self.cleaned_data.get("date") or timezone.localdate()

    def family(self) -> str:
        return self.cleaned_data.get("family_type") or FamilyType.REGULAR


class SearchForm(CheckForm):
    tax_id = forms.CharField(label=_("Tax id"), required=False, max_length=20)
    address = forms.CharField(label=_("Address"), required=False, max_length=200)


class BatchUploadForm(CheckForm):
    file = forms.FileField(label=_("List of applicants (CSV or XLSX)"))


class ExemptionForm(forms.Form):
    account = forms.TypedChoiceField(label=_("Account"), coerce=int)
    kind = forms.ChoiceField(label=_("Kind"), choices=Exemption.Kind.choices)
    valid_from = forms.DateField(label=_("From"))
    valid_to = forms.DateField(label=_("To"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args: Any, accounts: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = accounts  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    decision = forms.CharField(label=_("Decision number"), max_length=32)
    tax_id = forms.CharField(label=_("Applicant's tax id"), max_length=20)
    dwelling_id = forms.IntegerField(label=_("Dwelling id"), required=False, min_value=1)
    address = forms.CharField(label=_("Address"), required=False, max_length=200)
    period_from = forms.CharField(label=_("From period (YYYY-MM)"), max_length=7)
    period_to = forms.CharField(label=_("To period (YYYY-MM)"), max_length=7)

    def __init__(self, *args: Any, service_names: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = service_names or {}
        for code in SERVICE_CODES:
            self.fields[f"amount_{code}"] = forms.CharField(
                label=names.get(code, code), required=False, max_length=20
            )

    def service_fields(self) -> list[Any]:
        return [self[f"amount_{code}"] for code in SERVICE_CODES]

    def payload(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "decision": data["decision"],
            "tax_id": data["tax_id"],
            "dwelling_id": data.get("dwelling_id") or "",
            "address": data.get("address") or "",
            "period_from": data["period_from"],
            "period_to": data["period_to"],
            "lines": [
                {"service": code, "monthly_amount": data[f"amount_{code}"]}
                for code in SERVICE_CODES
                if data.get(f"amount_{code}")
            ],
        }


class DecisionUploadForm(forms.Form):
    file = forms.FileField(label=_("Decisions file (CSV, XLSX, JSON, DBF)"))


class RuleParametersForm(forms.Form):
    valid_from = forms.DateField(label=_("Valid from"))
    months = forms.IntegerField(label=_("Months"), min_value=1, max_value=120, initial=3)
    threshold = MoneyFormField(label=_("Threshold, UAH"), initial="680.00")
    threshold_large_family = MoneyFormField(label=_("Threshold for large families, UAH"), initial="4000.00")
    exemptions_enabled = forms.BooleanField(
        label=_("Restructuring and court exemptions apply"), required=False, initial=True
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
