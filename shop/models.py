from email.utils import parseaddr

from django.conf import settings
from django.core.cache import cache
from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import Site

# Bounds how long another process keeps old settings when the cache is not shared (no Redis);
# with a shared cache, saving the settings replaces them everywhere at once.
SETTINGS_CACHE_SECONDS = 60


def default_shop_name() -> str:
    return settings.WAGTAIL_SITE_NAME


def default_support_email() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


@register_setting(icon="site")
class ShopSettings(BaseSiteSetting):
    shop_name = models.CharField(
        max_length=100,
        default=default_shop_name,
        help_text="Shown in the header, in page titles and in account emails.",
    )
    support_email = models.EmailField(
        default=default_support_email,
        help_text="Where shoppers can write with questions; shown in account emails.",
    )
    footer_text = models.CharField(
        max_length=255,
        default="Payments are handled securely by Stripe. Prices in US dollars.",
        help_text="One line at the foot of every page.",
    )

    panels = [FieldPanel("shop_name"), FieldPanel("support_email"), FieldPanel("footer_text")]

    class Meta:
        verbose_name = "shop settings"
        verbose_name_plural = "shop settings"

    @classmethod
    def for_request(cls, request) -> "ShopSettings":
        """The request's site's settings, read through the shared cache: no query per page."""
        attribute = cls.get_cache_attr_name()
        if not hasattr(request, attribute):
            setattr(request, attribute, cls.cached_for_site(Site.find_for_request(request)))
        return getattr(request, attribute)

    @classmethod
    def cached_for_site(cls, site: Site | None) -> "ShopSettings":
        """Unsaved defaults until an editor saves settings for the site; never written on reads."""
        if site is None:
            return cls()
        key = cache_key(site.pk)
        found = cache.get(key)
        if found is None:
            found = cls.base_queryset().filter(site=site).first() or cls(site_id=site.pk)
            cache.set(key, found, SETTINGS_CACHE_SECONDS)
        return found


def cache_key(site_id: int) -> str:
    return f"shop-settings:{site_id}"
