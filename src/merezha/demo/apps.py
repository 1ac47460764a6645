from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "merezha.demo"
    label = "demo"
    verbose_name = "Demo city"
