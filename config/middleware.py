"""Content-Security-Policy on every page: strict on the storefront, what Wagtail needs in admin.

Written here rather than taken from django-csp 4, which could choose a policy per path, switch to
report-only under DEBUG and add the emulator's and the media store's origins only through a
subclass making these same choices. Django 6.0 brings its own CSP middleware.
"""

import functools
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import reverse

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


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # Media on S3 or a CDN is served from another origin, which images must be allowed.
        self.media_origin = _origin(default_storage.url("csp"))

    def __call__(self, request):
        response = self.get_response(request)
        # Wagtail's document and image views send their own, stricter policy.
        if HEADER not in response and REPORT_ONLY_HEADER not in response:
            admin = request.path.startswith(_admin_prefix())
            header, value = _policy_header(admin, self.media_origin)
            response[header] = value
        return response


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
