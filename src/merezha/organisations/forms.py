"""Forms of the information centre's onboarding pages and the organisation administrator's token pages.

They only parse what was typed: every rule (identifiers, kinds, operators, logins) is the services',
which report every reason at once (`services.Invalid`); `form_add_invalid` puts each beside its field.
The fields are therefore not required here, so that a form shows all its errors in one answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from merezha.core.identifiers import parse_date
from merezha.core.reasons import reason_localise
from merezha.core.roles import OrgKind
from merezha.organisations.models import Organisation
from merezha.organisations.services import REGISTERED_KINDS, Invalid


class LoginForm(AuthenticationForm):
    """Django's login form, with its user name's length checked before anyone is asked.

    Django sets the user name field's `max_length` (150) after the field is made, so no validator
    enforces it: a longer name went on to `authenticate`, and django-axes then failed to record the
    failure (its `username` column holds 255; PostgreSQL refuses longer values). Here the length
    is checked as the field's own rule, so an overlong name is an error beside the field and
    nobody is asked.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        assert isinstance(field, forms.CharField) and field.max_length
        field.validators.append(MaxLengthValidator(field.max_length))


def form_add_invalid(form: forms.Form, exc: Invalid) -> None:
    """Every reason of `exc` beside its field (a reason about no field of the form: above it)."""
    for field, messages in exc.localised().items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def _text(label: Any, **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=label, required=False, strip=True, **kwargs)


class OrganisationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    code = _text(_("Code"), help_text=_("Latin letters, digits, '-', '_', '.'; it never changes"))
    name = _text(_("Name"))
    edrpou = _text(_("EDRPOU"), help_text=_("8 digits"))
    parent = forms.ChoiceField(label=_("Operator (for a payment point)"), required=False)
    iban = _text(_("Collecting IBAN (for a payment point or its operator)"))
    address = _text(_("Address"))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, operators: list[Organisation], editing: str = "", **kwargs: Any) -> None:
        """`editing`: the kind of the organisation being edited (its code and kind are not asked
        again, nor what its kind has not); empty for a new one."""
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "—")] + [(k, OrgKind(k).label) for k in REGISTERED_KINDS]  # type: ignore[attr-defined]
        self.fields["parent"].choices = [("", "—")] + [(str(o.pk), f"{o.name} ({o.code})") for o in operators]  # type: ignore[attr-defined]
        self.operators = {str(o.pk): o for o in operators}
        if editing:
            del self.fields["kind"], self.fields["code"]
            if editing != OrgKind.PAYMENT_POINT:
                del self.fields["parent"]
            if editing not in (OrgKind.PAYMENT_POINT, OrgKind.PAYMENT_OPERATOR):
                del self.fields["iban"]
        else:
            del self.fields["is_active"]

    def parent_organisation(self) -> Organisation | None:
        return self.operators.get(self.cleaned_data.get("parent") or "")

    def value(self, name: str) -> Any:
        """A cleaned field's value; "" for a field this form does not ask (the kind has none)."""
        return self.cleaned_data.get(name, "")


class ProviderServiceForm(forms.Form):
    service = forms.ChoiceField(label=_("Network service"), required=False)
    iban = _text(_("IBAN the payments for it go to"))

    def __init__(self, *args: Any, services: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", "—")] + [(c, n or c) for c, n in services.items()]  # type: ignore[attr-defined]


class BuildingAssignForm(forms.Form):
    street = forms.ChoiceField(label=_("Street"), required=False)
    house = _text(_("House"))

    def __init__(self, *args: Any, streets: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["street"].choices = [("", "—")] + [(str(pk), name) for pk, name in streets]  # type: ignore[attr-defined]

    def street_id(self) -> int | None:
        value = self.cleaned_data.get("street") or ""
        return int(value) if value.isdigit() else None


class UserForm(forms.Form):
    username = _text(_("Login"))
    full_name = _text(_("Full name"))
    password = forms.CharField(
        label=_("Password"), required=False, strip=False, widget=forms.PasswordInput(render_value=True)
    )
    is_org_admin = forms.BooleanField(
        label=_("Organisation administrator (manages its users' API tokens)"), required=False
    )


class UserEditForm(forms.Form):
    full_name = _text(_("Full name"))
    is_org_admin = forms.BooleanField(
        label=_("Organisation administrator (manages its users' API tokens)"), required=False
    )


class TokenIssueForm(forms.Form):
    name = _text(_("Token name"), help_text=_("What uses it, e.g. “POS system of point 7”"))
    expires_on = _text(_("Valid until (YYYY-MM-DD, empty: until revoked)"))

    def clean_expires_on(self) -> dt.datetime | None:
        text = self.cleaned_data.get("expires_on", "")
        if not text:
            return None
        try:
            day = parse_date(text)
        except ValueError as exc:
            raise forms.ValidationError(reason_localise(str(exc))) from None
        # valid through the whole day named, in the hub's time zone
        return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
