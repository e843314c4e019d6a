from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from . import shoppers


@receiver(user_logged_in)
def claim_orders_on_login(sender, request, user, **kwargs):
    # A login made outside a browser's request (force_login, scripts) has no browser to claim from.
    if request is None or not hasattr(request, "shopper"):
        return
    shoppers.claim_anonymous_orders(shoppers.anonymous_key(request), user)


@receiver(user_logged_out)
def start_afresh_on_logout(sender, request, user, **kwargs):
    if request is not None:
        shoppers.start_afresh(request)
