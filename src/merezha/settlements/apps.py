from django.apps import AppConfig


class SettlementsConfig(AppConfig):
    name = "merezha.settlements"
    label = "settlements"
    verbose_name = "Settlements"
