from django.apps import AppConfig


class RegistersConfig(AppConfig):
    name = "merezha.registers"
    label = "registers"
    verbose_name = "Registers"
