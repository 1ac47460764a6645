from django.apps import AppConfig


class SubsidiesConfig(AppConfig):
    name = "merezha.subsidies"
    label = "subsidies"
    verbose_name = "Subsidies"
