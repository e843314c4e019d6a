import os

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "test-secret-key"
DEBUG = False
ALLOWED_HOSTS = ["*"]
DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/shop"),
}
# Emptied between transactional tests back to what the migrations created (config.test_postgres).
DATABASES["default"]["ENGINE"] = "config.test_postgres"
# One test database per run, so runs started side by side never drop each other's tables.
DATABASES["default"]["TEST"] = {"NAME": f"test_shop_{os.getpid()}"}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests that serve the shop from separate processes (gunicorn) set these through the
# environment to collect emails and status changes from every process.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default="")
STRIPE_SECRET_KEY = "sk_test_suite"
STRIPE_WEBHOOK_SECRET = "whsec_test_suite"
STRIPE_API_BASE = env("STRIPE_API_BASE", default="http://127.0.0.1:9")
WAGTAILADMIN_BASE_URL = "http://testserver"
SHOP_PAGE_CACHE_SECONDS = 0
# Off for the suite; config/tests/test_ratelimit.py switches limits on itself.
SHOP_RATE_LIMITS = {}
SHOP_RATE_LIMITS_PER_ADDRESS = {}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "orders": {"handlers": ["console"], "level": env("ORDERS_LOG_LEVEL", default="WARNING")}
    },
}
