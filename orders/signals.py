from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from . import services
from .shoppers import SHOPPER_SESSION_KEY


@receiver(user_logged_in)
def claim_orders_on_login(sender, request, user, **kwargs):
    if request is None or SHOPPER_SESSION_KEY not in request.session:
        return
    services.claim_anonymous_orders(f"session:{request.session[SHOPPER_SESSION_KEY]}", user)
