"""Organisation kinds and user roles: who acts for whom."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    INFO_CENTRE = "info_centre", _("Information centre")
    PROVIDER = "provider", _("Utility provider")
    HOUSING_OFFICE = "housing_office", _("Housing office")
    SUBSIDY_OFFICE = "subsidy_office", _("Subsidy office")
    PAYMENT_OPERATOR = "payment_operator", _("Payment operator (bank, post)")
    PAYMENT_POINT = "payment_point", _("Payment point")
    CITY = "city", _("City management")


class Role(models.TextChoices):
    ADMIN = "admin", _("Information centre administrator")
    PROVIDER = "provider", _("Provider operator")
    HOUSING = "housing", _("Housing office clerk")
    SUBSIDY = "subsidy", _("Subsidy officer")
    CASHIER = "cashier", _("Cashier")
    MANAGER = "manager", _("Manager")


#: Which organisation kind each role acts for.
ROLE_ORG_KIND: dict[str, str] = {
    Role.ADMIN: OrgKind.INFO_CENTRE,
    Role.PROVIDER: OrgKind.PROVIDER,
    Role.HOUSING: OrgKind.HOUSING_OFFICE,
    Role.SUBSIDY: OrgKind.SUBSIDY_OFFICE,
    Role.CASHIER: OrgKind.PAYMENT_POINT,
    Role.MANAGER: OrgKind.CITY,
}
