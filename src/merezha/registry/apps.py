from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "merezha.registry"
    label = "registry"
    verbose_name = "Registry"
