"""Stripe's webhook answered ahead of the storefront's middleware.

Stripe sends no cookies and reads only the status of the answer: sessions, CSRF (the view is
exempt), accounts, messages, the shopper cookie, the page cache, rate limits, redirects and the
headers meant for browsers have nothing to do on this path, which every payment, refund and
repeated delivery takes, and would cost it more than the view's own work.
"""

from django.urls import reverse

from . import views


class StripeWebhookMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        webhook = reverse("stripe_webhook")
        # An endpoint registered without the slash is answered the same (orders/urls.py).
        self.paths = {webhook, webhook.rstrip("/")}

    def __call__(self, request):
        if request.method == "POST" and request.path_info in self.paths:
            return views.stripe_webhook(request)
        return self.get_response(request)
