"""What every answer of the shop gets on its way out, in as few middleware layers as can carry it:
each layer costs every request, a webhook's or a health check's as much as a page's.

Content-Security-Policy on every page: strict on the storefront, what Wagtail needs in admin.
Written here rather than taken from django-csp 4, which could choose a policy per path, switch to
report-only under DEBUG and add the emulator's and the media store's origins only through a
subclass making these same choices. Django 6.0 brings its own CSP middleware.
"""

import functools
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage as message_storage
from django.core.files.storage import default_storage
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.middleware.common import CommonMiddleware
from django.urls import reverse
from django.utils.functional import SimpleLazyObject, empty
from wagtail.contrib.redirects.middleware import RedirectMiddleware

from orders import stripe_gateway

HEADER = "Content-Security-Policy"
# While developing, the browser reports violations without blocking, so Django's debug pages
# (which carry inline styles and scripts) stay usable.
REPORT_ONLY_HEADER = "Content-Security-Policy-Report-Only"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""


def render_policy(policy: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


class ShopCommonMiddleware(CommonMiddleware):
    """Django's CommonMiddleware with the shop's Content-Security-Policy and Wagtail's redirects
    folded in: one layer where there were three.

    A page not found goes first to the redirects editors set up in Wagtail, then to Django's
    added slash, in the order the separate middlewares took them.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response):
        super().__init__(get_response)
        self.editors_redirects = RedirectMiddleware(get_response)
        # Media on S3 or a CDN is served from another origin, which images must be allowed.
        self.media_origin = _origin(default_storage.url("csp"))
        # Django's refusal of user agents and its www. redirect are off unless set up.
        self.checks_requests = bool(settings.DISALLOWED_USER_AGENTS or settings.PREPEND_WWW)

    def __call__(self, request):
        response = self.process_request(request) if self.checks_requests else None
        if response is None:
            response = self.get_response(request)
            if response.status_code == 404:
                response = self.editors_redirects.process_response(request, response)
            response = self.process_response(request, response)
        # Wagtail's document and image views send their own, stricter policy.
        if HEADER not in response and REPORT_ONLY_HEADER not in response:
            admin = request.path.startswith(_admin_prefix())
            header, value = _policy_header(admin, self.media_origin)
            response.headers[header] = value
        return response


class LazyMessageMiddleware(MessageMiddleware):
    """Django's MessageMiddleware, making a request's message store only once something reads or
    adds a message: answers that show none (webhooks, redirects, cached pages) skip it."""

    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: message_storage(request))

    def process_response(self, request, response):
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            return response
        return super().process_response(request, response)


@functools.cache
def _admin_prefix() -> str:
    return reverse("wagtailadmin_home")


@functools.cache
def _policy_header(admin: bool, media_origin: str) -> tuple[str, str]:
    """The header and its value, worked out once per process (and again when settings change)."""
    header = REPORT_ONLY_HEADER if settings.DEBUG else HEADER
    return header, render_policy(policy_for(admin, media_origin))


def policy_for(admin: bool, media_origin: str) -> dict[str, list[str]]:
    if admin:
        policy = {name: list(sources) for name, sources in settings.SHOP_CSP_ADMIN.items()}
    else:
        policy = {name: list(sources) for name, sources in settings.SHOP_CSP.items()}
        if stripe_gateway.uses_emulator():
            # The emulator's checkout page stands in for Stripe's in local runs and tests.
            policy["form-action"].append(_origin(settings.STRIPE_API_BASE))
    if media_origin:
        policy["img-src"].append(media_origin)
    return policy


@receiver(setting_changed)
def forget_policies(**kwargs):
    _admin_prefix.cache_clear()
    _policy_header.cache_clear()
