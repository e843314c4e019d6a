"""Wagtail's users admin, with forms that keep one account per email address.

Its own module: a second AppConfig in shop/apps.py would stop Django picking ShopConfig for `shop`.
"""

from wagtail.users.apps import WagtailUsersAppConfig


class ShopUsersAppConfig(WagtailUsersAppConfig):
    user_viewset = "shop.users.ShopUserViewSet"
