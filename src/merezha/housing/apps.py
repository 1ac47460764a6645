from django.apps import AppConfig


class HousingConfig(AppConfig):
    name = "merezha.housing"
    label = "housing"
    verbose_name = "Housing"
