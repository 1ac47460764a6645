"""The city register: streets, buildings, dwellings, registered residents, benefits, and its history.

A housing office owns its buildings and everything in them; the register changes only
through that office's uploads or edits, and every change is kept in `RegisterChange`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Street(models.Model):
    type = models.CharField(_("type"), max_length=16)
    name = models.CharField(_("name"), max_length=120)
    key = models.CharField(max_length=120, db_index=True, help_text="folded name for matching")

    class Meta:
        ordering = ["name", "type"]
        constraints = [models.UniqueConstraint(fields=["type", "key"], name="uniq_street_type_key")]
        verbose_name = _("street")
        verbose_name_plural = _("streets")

    def __str__(self) -> str:
        return f"{self.type} {self.name}"


class StreetName(models.Model):
    """A former name of a street (renamed streets): addresses written with it still match."""

    street = models.ForeignKey(Street, on_delete=models.CASCADE, related_name="former_names")
    name = models.CharField(max_length=120)
    key = models.CharField(max_length=120, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["street", "key"], name="uniq_street_former_key")]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="buildings")
    number = models.CharField(_("house"), max_length=32)
    key = models.CharField(max_length=32)
    office = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="buildings",
    )

    class Meta:
        ordering = ["street__name", "key"]
        constraints = [models.UniqueConstraint(fields=["street", "key"], name="uniq_building_street_key")]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")

    def __str__(self) -> str:
        return f"{self.street}, {self.number}"


class Dwelling(models.Model):
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="dwellings")
    apartment = models.CharField(_("apartment"), max_length=16, blank=True)
    apartment_key = models.CharField(max_length=16, blank=True)
    office = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="dwellings"
    )
    #: The office's own id of the dwelling (its rent account number, `KOD`).
    office_ref = models.CharField(_("office's dwelling id"), max_length=32)
    area = models.DecimalField(_("area, m²"), max_digits=9, decimal_places=2, null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["building__street__name", "building__key", "apartment_key"]
        constraints = [
            models.UniqueConstraint(fields=["office", "office_ref"], name="uniq_dwelling_office_ref"),
        ]
        indexes = [models.Index(fields=["building", "apartment_key"])]
        verbose_name = _("dwelling")
        verbose_name_plural = _("dwellings")

    def __str__(self) -> str:
        return f"{self.building}" + (f", кв. {self.apartment}" if self.apartment else "")

    @property
    def is_private_house(self) -> bool:
        return not self.apartment_key


class BenefitCategory(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["code"]
        verbose_name = _("benefit category")
        verbose_name_plural = _("benefit categories")

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Relation(models.TextChoices):
    HEAD = "head", _("head of household")
    SPOUSE = "spouse", _("spouse")
    CHILD = "child", _("child")
    PARENT = "parent", _("parent")
    OTHER = "other", _("other")


class Person(models.Model):
    """A person registered in a dwelling. Leaving ends the registration; the row stays for history."""

    dwelling = models.ForeignKey(Dwelling, on_delete=models.PROTECT, related_name="persons")
    surname = models.CharField(_("surname"), max_length=80)
    name = models.CharField(_("name"), max_length=80, blank=True)
    patronymic = models.CharField(_("patronymic"), max_length=80, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    #: РНОКПП (10 digits, checksum verified) or, for people without one, passport series and number.
    tax_id = models.CharField(_("tax id"), max_length=16, blank=True, db_index=True)
    relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices, blank=True)
    benefit = models.ForeignKey(
        BenefitCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="persons"
    )
    surname_key = models.CharField(max_length=80, db_index=True)
    registered_from = models.DateField(_("registered from"), null=True, blank=True)
    registered_until = models.DateField(_("registered until"), null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["dwelling_id", "id"]
        indexes = [models.Index(fields=["dwelling", "is_active"])]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.surname, self.name, self.patronymic) if p)


class RegisterChange(models.Model):
    """One change of the register, as it happened: the source of the monthly change reports."""

    class Kind(models.TextChoices):
        DWELLING_ADDED = "dwelling_added", _("dwelling added")
        DWELLING_REMOVED = "dwelling_removed", _("dwelling removed")
        DWELLING_CHANGED = "dwelling_changed", _("dwelling changed")
        ARRIVED = "arrived", _("arrived")
        LEFT = "left", _("left")
        BORN = "born", _("born")
        DIED = "died", _("died")
        PERSON_CHANGED = "person_changed", _("person changed")

    office = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    dwelling = models.ForeignKey(Dwelling, on_delete=models.PROTECT, related_name="changes")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="changes"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    field = models.CharField(max_length=32, blank=True)
    old_value = models.CharField(max_length=200, blank=True)
    new_value = models.CharField(max_length=200, blank=True)
    effective_date = models.DateField()
    recorded_at = models.DateTimeField(auto_now_add=True, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=64, blank=True, help_text="import:<id> or manual")

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["office", "effective_date"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.field} {self.old_value}→{self.new_value}"


class RegistryImport(models.Model):
    """One applied (or refused) register file: sender, checksum, counts."""

    office = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=200)
    checksum = models.CharField(max_length=64)
    file_format = models.CharField(max_length=8)
    encoding = models.CharField(max_length=16, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    rows_applied = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    changes = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.office_id} {self.file_name}"
