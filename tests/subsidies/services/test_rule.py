"""The rule's writes: parameter sets, exemptions, the payment-status certificate."""

import datetime as dt

import pytest
from django.utils import translation

from merezha.core.certificates import certificate_verify
from merezha.core.models import AuditEntry, Certificate
from merezha.core.money import Money
from merezha.subsidies.documents import debt_certificate_pdf
from merezha.subsidies.selectors import household_status
from merezha.subsidies.services import (
    InvalidInput,
    debt_certificate_issue,
    exemption_create,
    rule_parameters_create,
)
from tests.subsidies.conftest import FOUR, ON

pytestmark = pytest.mark.django_db


def test_rule_parameters_create_and_refuse(city, make_user):
    admin = make_user("admin")
    p = rule_parameters_create(
        user=admin,
        valid_from=dt.date(2027, 1, 1),
        months=4,
        threshold=Money.parse("700.00"),
        threshold_large_family=Money.parse("4100.00"),
    )
    assert (p.created_by, AuditEntry.objects.get().action) == (admin, "subsidy.rule_parameters_create")
    with pytest.raises(InvalidInput, match="a parameter set from 2027-01-01 already exists"):
        rule_parameters_create(
            user=admin,
            valid_from=dt.date(2027, 1, 1),
            months=3,
            threshold=Money(1),
            threshold_large_family=Money(1),
        )
    with pytest.raises(InvalidInput, match="months must be between 1 and 120"):
        rule_parameters_create(
            user=admin,
            valid_from=dt.date(2028, 1, 1),
            months=0,
            threshold=Money(1),
            threshold_large_family=Money(1),
        )


def test_exemption_create_turns_the_verdict(city):
    heat = city.account("TEPLO", "heat", "1580.01", FOUR)
    assert household_status(dwelling_id=city.dwelling.pk, on=ON).verdict.status == "blocked"
    exemption_create(
        user=city.subsidy,
        account_id=heat.pk,
        kind="restructuring",
        valid_from=dt.date(2026, 11, 1),
        note="No. 5",
    )
    status = household_status(dwelling_id=city.dwelling.pk, on=ON)
    assert (status.verdict.status, status.verdict.accounts[0].exempt) == ("clear", True)
    with pytest.raises(InvalidInput, match="the end date is before the start date"):
        exemption_create(
            user=city.subsidy,
            account_id=heat.pk,
            kind="court",
            valid_from=dt.date(2026, 11, 1),
            valid_to=dt.date(2026, 10, 1),
        )
    with pytest.raises(InvalidInput, match="unknown exemption kind: gift"):
        exemption_create(user=city.subsidy, account_id=heat.pk, kind="gift", valid_from=ON)


def test_certificate_verifies_and_forgery_fails(city):
    city.account("TEPLO", "heat", "1580.01", FOUR, number="H-1")
    with translation.override("uk"):
        status = household_status(dwelling_id=city.dwelling.pk, on=ON, user=city.subsidy)
        cert = debt_certificate_issue(user=city.subsidy, status=status)
    assert (cert.kind, cert.issuer_code, cert.subject) == (
        "subsidy_debt_status",
        "USZN",
        f"dwelling:{city.dwelling.pk}",
    )
    assert cert.payload["accounts"][0]["debt"] == "1580.01"
    assert cert.payload["overdue_total"] == "680.01"
    assert cert.payload["parameters"]["valid_from"] == "2025-01-01"
    assert certificate_verify(number=cert.number, code=cert.code).genuine
    # a forged code, a forged number, altered figures
    assert not certificate_verify(number=cert.number, code="f" * 20).genuine
    assert not certificate_verify(number=cert.number + "1", code=cert.code).genuine
    altered = dict(cert.payload, overdue_total="0.00", status="clear")
    Certificate.objects.filter(pk=cert.pk).update(payload=altered)
    result = certificate_verify(number=cert.number, code=cert.code)
    assert (result.genuine, result.reason) == (False, "the certificate's figures have been altered")
    pdf = debt_certificate_pdf(certificate=Certificate.objects.get(pk=cert.pk))
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000
