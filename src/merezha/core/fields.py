"""Model fields for the money type: amounts are stored as integer kopecks (BIGINT) on every database."""

from __future__ import annotations

from typing import Any

from django.db import models

from merezha.core.money import Money


class MoneyField(models.BigIntegerField):
    description = "An amount of money stored as integer kopecks"

    def from_db_value(self, value: int | None, expression: Any, connection: Any) -> Money | None:
        if value is None:
            return None
        return Money(int(value))

    def to_python(self, value: Any) -> Money | None:
        if value is None or isinstance(value, Money):
            return value
        if isinstance(value, int):
            return Money(value)
        return Money.parse(value)

    def get_prep_value(self, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, Money):
            return value.kopecks
        if isinstance(value, int):
            return value
        return Money.parse(value).kopecks

    def value_to_string(self, obj: Any) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else str(value)
