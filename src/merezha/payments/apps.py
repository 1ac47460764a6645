from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "merezha.payments"
    label = "payments"
    verbose_name = "Payments"
