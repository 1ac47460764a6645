from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "merezha.search"
    label = "search"
    verbose_name = "Search"
