from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "merezha.organisations"
    label = "organisations"
    verbose_name = "Organisations"
