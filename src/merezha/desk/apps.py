from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "merezha.desk"
    label = "desk"
    verbose_name = "Cashier's desk"
