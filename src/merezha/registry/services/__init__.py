"""Writes of the city register: the street directory and the housing office register."""

from merezha.registry.services.registry_import import REGISTRY_DBF_FIELDS, registry_import
from merezha.registry.services.streets import streets_import

__all__ = ["REGISTRY_DBF_FIELDS", "registry_import", "streets_import"]
