"""Writes of the subsidy rule: dated parameter sets, exemptions, the payment-status certificate.

A parameter set is never edited: a change of the rule is a new set from a later date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from merezha.core.certificates import certificate_issue
from merezha.core.models import Certificate
from merezha.core.money import Money
from merezha.core.services import audit_record
from merezha.organisations.models import User
from merezha.providers.models import Account
from merezha.subsidies.models import Exemption, SubsidyRuleParameters
from merezha.subsidies.selectors import HouseholdStatus


class InvalidInput(ValueError):
    """Input refused with a reason a person can act on."""


def rule_parameters_create(
    *,
    user: User | None,
    valid_from: dt.date,
    months: int,
    threshold: Money,
    threshold_large_family: Money,
    exemptions_enabled: bool = True,
    note: str = "",
) -> SubsidyRuleParameters:
    """A new parameter set from `valid_from`. Sets are never edited: a change of the rule is a new set."""
    if not 1 <= months <= 120:
        raise InvalidInput(_("months must be between 1 and 120"))
    if threshold.is_negative() or threshold_large_family.is_negative():
        raise InvalidInput(_("a threshold cannot be negative"))
    if SubsidyRuleParameters.objects.filter(valid_from=valid_from).exists():
        raise InvalidInput(
            _("a parameter set from %(date)s already exists") % {"date": valid_from.isoformat()}
        )
    with transaction.atomic():
        row = SubsidyRuleParameters.objects.create(  # type: ignore[misc]  # MoneyField takes Money
            valid_from=valid_from,
            months=months,
            threshold=threshold,
            threshold_large_family=threshold_large_family,
            exemptions_enabled=exemptions_enabled,
            note=note,
            created_by=user if getattr(user, "pk", None) else None,
        )
        audit_record(
            user=user,
            action="subsidy.rule_parameters_create",
            object_type="subsidy_rule_parameters",
            object_id=str(row.pk),
            detail={"valid_from": valid_from.isoformat()},
        )
    return row


def exemption_create(
    *,
    user: Any,
    account_id: int,
    kind: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    note: str = "",
) -> Exemption:
    """Record that an account's debt is restructured or contested in court (by the subsidy office)."""
    if kind not in Exemption.Kind.values:
        raise InvalidInput(_("unknown exemption kind: %(kind)s") % {"kind": kind})
    if valid_to is not None and valid_to < valid_from:
        raise InvalidInput(_("the end date is before the start date"))
    account = Account.objects.filter(pk=account_id, is_active=True, dwelling__isnull=False).first()
    if account is None:
        raise InvalidInput(_("no such active account"))
    with transaction.atomic():
        row = Exemption.objects.create(
            account=account,
            kind=kind,
            valid_from=valid_from,
            valid_to=valid_to,
            note=note[:200],
            office=user.organisation,
            created_by=user,
        )
        audit_record(
            user=user,
            action="subsidy.exemption_create",
            object_type="dwelling",
            object_id=str(account.dwelling_id),
            detail={"account_id": account.pk, "kind": kind},
        )
    return row


def debt_certificate_issue(*, user: User, status: HouseholdStatus) -> Certificate:
    """A numbered, verifiable certificate of the household's payment status with every figure printed."""
    payload = status.as_dict()
    with transaction.atomic():
        cert = certificate_issue(
            kind=Certificate.Kind.SUBSIDY_DEBT_STATUS,
            issuer=user.organisation,
            user=user,
            subject=f"dwelling:{status.dwelling_id}",
            payload=payload,
        )
        audit_record(
            user=user,
            action="subsidy.certificate_issue",
            object_type="dwelling",
            object_id=str(status.dwelling_id),
            detail={"certificate": cert.number},
            dwelling_ids=[status.dwelling_id],
        )
    return cert
