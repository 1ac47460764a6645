from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "merezha.providers"
    label = "providers"
    verbose_name = "Providers"
