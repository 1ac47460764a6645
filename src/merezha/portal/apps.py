from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "merezha.portal"
    verbose_name = "Resident portal and unified bill"
