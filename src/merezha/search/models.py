"""The cashier's search index: what one box can find a dwelling by.

`SearchEntry` holds one row per thing a dwelling can be found by (a registered resident, a provider
account's payer, a tax id, an account number); `SearchStreet` every folded name of every street
(current, former, and each word of a many-word name; each in Cyrillic and in Latin letters); `SearchTerm` the vocabulary of surnames and
street names that fuzzy matching runs on — on PostgreSQL through a `pg_trgm` GIN index per kind, on
SQLite through an FTS5 trigram table per kind (`search_term_fts_<kind>`), both created by migration 0002.

The index is derived data: `search_index_rebuild()` recreates it from the register and the
providers' accounts; `search_index_refresh(dwelling_ids=...)` redoes some dwellings.
"""

from __future__ import annotations

from django.db import models


class SearchEntry(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", "registered resident"
        PAYER = "payer", "provider account payer"
        TAX_ID = "tax_id", "tax id"
        ACCOUNT = "account", "account number"
        REF = "ref", "housing office's dwelling id"

    #: the foreign key's own index serves look-ups by dwelling (a second one only slowed every write)
    dwelling = models.ForeignKey("registry.Dwelling", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    #: folded surname (person, payer), tax id, account number or dwelling id: what exact look-ups compare
    key = models.CharField(max_length=80)
    #: folded first name and patronymic (person, payer)
    given = models.CharField(max_length=80, blank=True)
    middle = models.CharField(max_length=80, blank=True)
    #: `latin_fold` of the KMU 2010 transliteration of the surname, and of the first name
    latin = models.CharField(max_length=80, blank=True)
    given_latin = models.CharField(max_length=80, blank=True)
    #: what the cashier may see of who matched: the full name (surname, name, patronymic), never a tax id
    label = models.CharField(max_length=120, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "key", "dwelling"], name="search_entry_kind_key"),
            models.Index(fields=["latin", "dwelling"], name="search_entry_latin"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key} → {self.dwelling_id}"


class SearchStreet(models.Model):
    street = models.ForeignKey("registry.Street", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)
    former = models.BooleanField(default=False)
    #: one word of a many-word name (`майдану` of `Героїв Майдану`): ranked after whole names
    part = models.BooleanField(default=False)
    #: the street's type and how a result names it: `вул. Свободи`, or `вул. Свободи (Комсомольська)`
    type = models.CharField(max_length=16, blank=True)
    label = models.CharField(max_length=160, blank=True)

    class Meta:
        indexes = [models.Index(fields=["key"], name="search_street_key")]

    def __str__(self) -> str:
        return f"{self.key} → {self.street_id}"


class SearchTerm(models.Model):
    class Kind(models.TextChoices):
        SURNAME = "s", "surname"
        LATIN = "l", "surname in Latin"
        STREET = "t", "street name"

    kind = models.CharField(max_length=1, choices=Kind.choices)
    term = models.CharField(max_length=120)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "term"], name="uniq_search_term")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.term}"
