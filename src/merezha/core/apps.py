from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "merezha.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from merezha.core.uploads import file_limits
        from merezha.formats.limits import limits_source

        # a reader that is given no limits applies the settings' (FILE_LIMITS)
        limits_source(file_limits)
