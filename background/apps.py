from django.apps import AppConfig


class BackgroundConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "background"
    verbose_name = "Background work"

    def ready(self):
        from . import checks, signals  # noqa: F401
