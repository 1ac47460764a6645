"""`merezha org add|list`: the information centre registers organisations before their files arrive."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from merezha.core.roles import OrgKind
from merezha.organisations.selectors import UnknownOrganisation, organisation_list, organisation_require
from merezha.organisations.services import Invalid, organisation_register

#: the command line's spelling of each kind
KINDS = {
    "provider": OrgKind.PROVIDER,
    "housing-office": OrgKind.HOUSING_OFFICE,
    "payment-point": OrgKind.PAYMENT_POINT,
    "payment-operator": OrgKind.PAYMENT_OPERATOR,
    "subsidy-office": OrgKind.SUBSIDY_OFFICE,
}


class Command(BaseCommand):
    help = "Register organisations (org add) and list them (org list)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="add|list")
        add = sub.add_parser(
            "add", help="register an organisation; the same kind and code again changes nothing"
        )
        add.add_argument("--kind", required=True, choices=list(KINDS), help="what the organisation is")
        add.add_argument("--code", required=True, help="1 to 32 Latin letters, digits, '-', '_', '.'")
        add.add_argument("--name", required=True, help="the organisation's name as pages show it")
        add.add_argument("--edrpou", default="", help="ЄДРПОУ, 8 digits with a valid check digit")
        add.add_argument("--parent", default="", help="a payment point's operator (a payment-operator code)")
        add.add_argument("--iban", default="", help="a payment point's or operator's collecting account")
        add.add_argument("--address", default="", help="the organisation's postal address")
        lst = sub.add_parser("list", help="the registered organisations, one a line")
        lst.add_argument("--kind", choices=list(KINDS), help="only organisations of this kind")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "add":
            self._add(options)
        else:
            self._list(options)

    def _add(self, options: dict[str, Any]) -> None:
        kind = KINDS[options["kind"]]
        parent = None
        if options["parent"]:
            try:
                parent = organisation_require(code=options["parent"], kind=OrgKind.PAYMENT_OPERATOR)
            except UnknownOrganisation as exc:
                raise CommandError(f"--parent: {exc}") from None
        try:
            org, created = organisation_register(
                kind=kind,
                code=options["code"],
                name=options["name"],
                edrpou=options["edrpou"],
                parent=parent,
                address=options["address"],
                iban=options["iban"],
            )
        except Invalid as exc:
            raise CommandError(str(exc)) from None
        if created:
            self.stdout.write(f"registered {options['kind']} {org.code} — {org.name}")
        else:
            self.stdout.write(f"{options['kind']} {org.code} is already registered: nothing changed")

    def _list(self, options: dict[str, Any]) -> None:
        names: dict[str, str] = {str(v): k for k, v in KINDS.items()}
        orgs = organisation_list(kind=KINDS[options["kind"]] if options["kind"] else None).select_related(
            "parent"
        )
        for org in orgs:
            kind = names.get(org.kind, org.kind.replace("_", "-"))
            extra = [f"edrpou {org.edrpou}"] if org.edrpou else []
            if org.parent:
                extra.append(f"operator {org.parent.code}")
            if not org.is_active:
                extra.append("inactive")
            self.stdout.write("\t".join([kind, org.code, org.name, *extra]))
