from django.apps import AppConfig
from wagtail.users.apps import WagtailUsersAppConfig


class ShopConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "shop"

    def ready(self):
        from . import signals  # noqa: F401


class ShopUsersAppConfig(WagtailUsersAppConfig):
    """Wagtail's users admin, with forms that keep one account per email address."""

    user_viewset = "shop.users.ShopUserViewSet"
