"""Content-Security-Policy on every page: strict on the storefront, what Wagtail needs in admin.

Written here rather than taken from django-csp 4, which could choose a policy per path, switch to
report-only under DEBUG and add the emulator's and the media store's origins only through a
subclass making these same choices. Django 6.0 brings its own CSP middleware.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.storage import default_storage
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
            header = REPORT_ONLY_HEADER if settings.DEBUG else HEADER
            response[header] = render_policy(self.policy_for(request))
        return response

    def policy_for(self, request) -> dict[str, list[str]]:
        if request.path.startswith(reverse("wagtailadmin_home")):
            policy = {name: list(sources) for name, sources in settings.SHOP_CSP_ADMIN.items()}
        else:
            policy = {name: list(sources) for name, sources in settings.SHOP_CSP.items()}
            if stripe_gateway.uses_emulator():
                # The emulator's checkout page stands in for Stripe's in local runs and tests.
                policy["form-action"].append(_origin(settings.STRIPE_API_BASE))
        if self.media_origin:
            policy["img-src"].append(self.media_origin)
        return policy
