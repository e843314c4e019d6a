from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import shoppers
from .cart import Cart
from .models import CheckoutSettings


@receiver(user_logged_in)
def claim_orders_on_login(sender, request, user, **kwargs):
    # A login made outside a browser's request (force_login, scripts) has no browser to claim from.
    if request is None or not hasattr(request, "shopper"):
        return
    shoppers.claim_anonymous_orders(shoppers.anonymous_key(request), user)


@receiver(user_logged_in)
def keep_cart_with_account(sender, request, user, **kwargs):
    """The cart made before signing in joins the one the account kept from earlier visits."""
    session = getattr(request, "session", None)
    if session is None:
        return
    browser_cart = Cart(session)
    if not len(browser_cart):
        return
    notices = Cart(session, user).absorb(browser_cart.line_quantities)
    browser_cart.forget()
    for notice in notices:
        # A login made outside a browser's request has nobody to tell.
        messages.warning(request, notice, fail_silently=True)


@receiver(user_logged_out)
def start_afresh_on_logout(sender, request, user, **kwargs):
    if request is not None:
        shoppers.start_afresh(request)


@receiver(post_save, sender=CheckoutSettings)
@receiver(post_delete, sender=CheckoutSettings)
def forget_cached_checkout_settings(sender, instance, **kwargs):
    cache.delete(CheckoutSettings.cache_key(instance.site_id))
