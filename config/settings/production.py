"""Production: behind a TLS-terminating proxy, talking to Stripe itself, refusing half a setup."""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.http.request import validate_host

from config.logging import JSON_TO_STDOUT

from .base import *  # noqa: F403
from .base import DATABASES, LOGGING, STORAGES, env

STRIPE_API = "https://api.stripe.com"
REQUIRED_VARIABLES = {
    "SECRET_KEY": "Django's signing key, a long random string",
    "ALLOWED_HOSTS": "the shop's host names, comma-separated",
    "SHOP_BASE_URL": "the shop's public address, e.g. https://shop.example.com",
    "STRIPE_SECRET_KEY": "the Stripe secret key, sk_live_... or sk_test_...",
    "STRIPE_WEBHOOK_SECRET": "the signing secret of the Stripe webhook endpoint, whsec_...",
}


def _require_variables() -> None:
    missing = [
        f"{name} ({purpose})"
        for name, purpose in REQUIRED_VARIABLES.items()
        if not env.str(name, default="").strip()
    ]
    if missing:
        raise ImproperlyConfigured(
            "The shop cannot start in production without these environment variables: "
            + "; ".join(missing)
            + "."
        )


def _stripe_api_base(secret_key: str) -> str:
    """Production talks to Stripe itself; the emulator is for local runs and tests."""
    api_base = env("STRIPE_API_BASE", default="").strip().rstrip("/")
    if api_base in ("", STRIPE_API):
        return api_base
    if secret_key.startswith(("sk_live_", "rk_live_")):
        raise ImproperlyConfigured(
            f"STRIPE_SECRET_KEY is a live key, but STRIPE_API_BASE sends it to {api_base}, "
            f"which is not Stripe (the emulator?). Unset STRIPE_API_BASE to use {STRIPE_API}."
        )
    raise ImproperlyConfigured(
        f"STRIPE_API_BASE is {api_base}, but production talks only to {STRIPE_API}. "
        "Unset STRIPE_API_BASE; the Stripe emulator is for local runs and tests."
    )


def _public_base_url(allowed_hosts: list[str], https_only: bool) -> str:
    """Stripe sends shoppers back here; a Host header sent by a client must never decide it."""
    value = env("SHOP_BASE_URL").strip()
    url = urlsplit(value)
    if (
        url.scheme not in ("http", "https")
        or not url.hostname
        or url.username is not None
        or url.path.strip("/")
    ):
        raise ImproperlyConfigured(
            f"SHOP_BASE_URL is {value!r}; give the scheme and host only, "
            "e.g. https://shop.example.com."
        )
    if url.query or url.fragment:
        raise ImproperlyConfigured(f"SHOP_BASE_URL is {value!r}; leave out ? and # parts.")
    if https_only and url.scheme != "https":
        raise ImproperlyConfigured(
            f"SHOP_BASE_URL is {value!r}, but the shop redirects plain HTTP to HTTPS. "
            "Use https://, or set SECURE_SSL_REDIRECT=false where no TLS is in front."
        )
    if not validate_host(url.hostname, allowed_hosts):
        raise ImproperlyConfigured(
            f"SHOP_BASE_URL names {url.hostname}, which is not in ALLOWED_HOSTS."
        )
    return f"{url.scheme}://{url.netloc}"


_require_variables()
DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = _stripe_api_base(STRIPE_SECRET_KEY)

DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}

# The proxy in front terminates TLS and must set (not pass on) X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Stripe does not follow redirects, and the Stripe CLI and health checks speak plain HTTP
# to the app server directly.
SECURE_REDIRECT_EXEMPT = [r"^webhook/?$", r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"

SHOP_BASE_URL = _public_base_url(ALLOWED_HOSTS, https_only=SECURE_SSL_REDIRECT)
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", default=SHOP_BASE_URL)

LOGGING = {**LOGGING, **JSON_TO_STDOUT}
