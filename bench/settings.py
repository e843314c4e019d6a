"""The shop as it runs in production, minus TLS and rate limits, plus a minimal view."""

from config.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "benchmark-only-secret-key"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "bench.urls"
SHOP_RATE_LIMITS = {}
SHOP_RATE_LIMITS_PER_ADDRESS = {}
LOGGING = {"version": 1, "disable_existing_loggers": False}
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
# As in production: each worker keeps its database connection between requests.
DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
