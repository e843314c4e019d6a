from email.utils import parseaddr

from django.conf import settings
from django.core.cache import cache
from django.db import models
from wagtail.admin.panels import FieldPanel, HelpPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import Site

# Bounds how long another process keeps old settings when the cache is not shared (no Redis);
# with a shared cache, saving the settings replaces them everywhere at once.
SETTINGS_CACHE_SECONDS = 60


def default_shop_name() -> str:
    return settings.WAGTAIL_SITE_NAME


def default_support_email() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


class CachedSiteSetting(BaseSiteSetting):
    """A site setting read through the shared cache, so pages that show it ask no query;
    saving or deleting it forgets the cached copy (see the apps' signals)."""

    cache_prefix = ""

    class Meta:
        abstract = True

    @classmethod
    def cache_key(cls, site_id: int) -> str:
        return f"{cls.cache_prefix}:{site_id}"

    @classmethod
    def for_request(cls, request):
        """The request's site's settings, read through the shared cache: no query per page."""
        attribute = cls.get_cache_attr_name()
        if not hasattr(request, attribute):
            setattr(request, attribute, cls.cached_for_site(Site.find_for_request(request)))
        return getattr(request, attribute)

    @classmethod
    def cached_for_site(cls, site: Site | None):
        """Unsaved defaults until an editor saves settings for the site; never written on reads."""
        if site is None:
            return cls()
        key = cls.cache_key(site.pk)
        found = cache.get(key)
        if found is None:
            found = cls.base_queryset().filter(site=site).first() or cls(site_id=site.pk)
            cache.set(key, found, SETTINGS_CACHE_SECONDS)
        return found


@register_setting(icon="site")
class ShopSettings(CachedSiteSetting):
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

    cache_prefix = "shop-settings"

    panels = [FieldPanel("shop_name"), FieldPanel("support_email"), FieldPanel("footer_text")]

    class Meta:
        verbose_name = "shop settings"
        verbose_name_plural = "shop settings"


@register_setting(icon="mail")
class EmailSettings(BaseSiteSetting):
    """The opening words of each email to shoppers; the order's facts follow them."""

    confirmation_intro = models.TextField(
        "order confirmed",
        default="Thank you for your order! Your payment has gone through and we are getting "
        "your order ready.",
        help_text="Opens the email sent when an order is paid.",
    )
    shipped_intro = models.TextField(
        "order shipped",
        default="Good news: your order is on its way.",
        help_text="Opens the email sent when staff mark an order shipped; the carrier and "
        "tracking follow.",
    )
    refund_intro = models.TextField(
        "refund",
        default="We have refunded money on your order.",
        help_text="Opens the email sent for each refund; the amounts follow.",
    )
    payment_failed_intro = models.TextField(
        "payment failed",
        default="Your payment for this order did not go through, so the order is cancelled and "
        "nothing will be sent. You have not been charged.",
        help_text="Opens the email sent when a delayed payment (a bank transfer or debit) "
        "fails after checkout.",
    )

    panels = [
        HelpPanel(template="shop/admin/email_settings_help.html"),
        FieldPanel("confirmation_intro"),
        FieldPanel("shipped_intro"),
        FieldPanel("refund_intro"),
        FieldPanel("payment_failed_intro"),
    ]

    class Meta:
        verbose_name = "email settings"
        verbose_name_plural = "email settings"

    @classmethod
    def for_default_site(cls) -> "EmailSettings":
        """The default site's saved settings, or unsaved defaults; never written on reads."""
        site = Site.objects.filter(is_default_site=True).first()
        saved = cls.base_queryset().filter(site=site).first() if site else None
        return saved or cls(site=site)

    def intro_for(self, reason: str) -> str:
        return getattr(self, f"{reason}_intro")
