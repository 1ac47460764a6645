"""`merezha org add|list`: explicit, idempotent registration with one-line reasons."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from merezha.core.roles import OrgKind
from merezha.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def org(*args: str) -> str:
    out = io.StringIO()
    call_command("org", *args, stdout=out)
    return out.getvalue()


def test_add_is_idempotent():
    out = org("add", "--kind", "provider", "--code", "water", "--name", "Водоканал", "--edrpou", "32855961")
    assert out == "registered provider water — Водоканал\n"
    out = org("add", "--kind", "provider", "--code", "water", "--name", "Водоканал")
    assert out == "provider water is already registered: nothing changed\n"
    water = Organisation.objects.get()
    assert (water.kind, water.name, water.edrpou) == (OrgKind.PROVIDER, "Водоканал", "32855961")


def test_another_kind_with_the_code_is_refused_in_one_line():
    org("add", "--kind", "provider", "--code", "water", "--name", "Водоканал")
    with pytest.raises(CommandError) as exc:
        org("add", "--kind", "housing-office", "--code", "water", "--name", "ЖЕК")
    assert str(exc.value) == "the code water is already registered: Utility provider Водоканал"
    assert Organisation.objects.count() == 1


def test_bad_edrpou_and_unknown_parent_are_refused():
    with pytest.raises(CommandError, match="^EDRPOU 12345670: wrong check digit$"):
        org("add", "--kind", "subsidy-office", "--code", "USZN", "--name", "УСЗН", "--edrpou", "12345670")
    with pytest.raises(
        CommandError, match="^--parent: unknown payment operator 'BANK': known codes are none"
    ):
        org("add", "--kind", "payment-point", "--code", "P1", "--name", "Пункт", "--parent", "BANK")
    assert Organisation.objects.count() == 0


def test_point_with_its_operator_and_the_list():
    org("add", "--kind", "payment-operator", "--code", "BANK", "--name", "Банк")
    org(
        "add", "--kind", "payment-point", "--code", "P1", "--name", "Пункт 1", "--parent", "BANK",
        "--iban", "UA213223130000026007233566001",
    )  # fmt: skip
    point = Organisation.objects.get(code="P1")
    assert (point.parent.code, point.iban) == ("BANK", "UA213223130000026007233566001")
    assert org("list") == "payment-operator\tBANK\tБанк\npayment-point\tP1\tПункт 1\toperator BANK\n"
    assert org("list", "--kind", "payment-point") == "payment-point\tP1\tПункт 1\toperator BANK\n"
