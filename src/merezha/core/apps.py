from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "merezha.core"
    label = "core"
    verbose_name = "Core"
