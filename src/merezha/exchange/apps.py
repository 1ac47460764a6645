from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "merezha.exchange"
    label = "exchange"
    verbose_name = "Exchange"
