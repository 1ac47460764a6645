"""Forms of the housing office pages: they only parse input; the services validate and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from merezha.registry.models import BenefitCategory, Relation


def benefit_choices() -> list[tuple[str, object]]:
    """The benefit categories to choose from (the empty choice: no benefit)."""
    return [
        ("", _("no benefit")),
        *((b.code, b.name or b.code) for b in BenefitCategory.objects.order_by("code")),
    ]


DATE = forms.DateInput(attrs={"type": "date"})


class RegisterForm(forms.Form):
    surname = forms.CharField(label=_("Surname"), max_length=80)
    name = forms.CharField(label=_("Name"), max_length=80, required=False)
    patronymic = forms.CharField(label=_("Patronymic"), max_length=80, required=False)
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=DATE)
    tax_id = forms.CharField(label=_("Tax id"), max_length=16, required=False)
    relation = forms.ChoiceField(label=_("Relation"), choices=[("", "—"), *Relation.choices], required=False)
    benefit = forms.ChoiceField(label=_("Benefit"), choices=benefit_choices, required=False)
    registered_from = forms.DateField(label=_("Registered from"), widget=DATE)
    born = forms.BooleanField(label=_("Birth"), required=False)


class DeregisterForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("moved_out", _("moved out")), ("died", _("died"))]
    )


class RelationForm(forms.Form):
    relation = forms.ChoiceField(label=_("Relation"), choices=Relation.choices)
    date = forms.DateField(label=_("Date"), widget=DATE)


class BenefitForm(forms.Form):
    benefit = forms.ChoiceField(label=_("Benefit"), choices=benefit_choices, required=False)
    date = forms.DateField(label=_("Date"), widget=DATE)


class AreaForm(forms.Form):
    area = forms.CharField(label=_("Area, m²"), max_length=16)
    date = forms.DateField(label=_("Date"), widget=DATE)
    confirm = forms.BooleanField(label=_("The area is right"), required=False)


class AbsenceForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=DATE)
    date_to = forms.DateField(label=_("To"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=200)
