"""Settings shared by every environment; everything that varies comes from the environment."""

from pathlib import Path

import environ

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "home",
    "products",
    "orders",
    "shop",
    "background",
    "django_tasks_db",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "shop.users_app.ShopUsersAppConfig",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    # First: Stripe's webhook needs none of what follows (see the module).
    "orders.middleware.StripeWebhookMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's CommonMiddleware, the Content-Security-Policy and Wagtail's redirects in one.
    "config.middleware.ShopCommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # After CSRF: a forged post is refused before it counts against its victim's limit.
    "config.ratelimit.RateLimitMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.LazyMessageMiddleware",
    # Outside the page cache: the shopper cookie is attached after a page is stored.
    "orders.shoppers.ShopperCookieMiddleware",
    "home.page_cache.PageCacheMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shop.context_processors.shop",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's PostgreSQL, checking reused connections without a round trip (config.postgres).
    DATABASES["default"]["ENGINE"] = "config.postgres"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The local run's webhook and success page write at the same moment; SQLite must queue
    # writers (IMMEDIATE) and wait for the lock instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
# Redis answers within a millisecond or two; past this it counts as down for a while.
REDIS_TIMEOUT_SECONDS = env.float("REDIS_TIMEOUT_SECONDS", default=0.25)
if REDIS_URL:
    CACHES = {
        "default": {
            # Fails soft (config.cache): while Redis is down or hanging, reads miss and writes
            # are skipped, and only one call every RETRY_SECONDS per process waits on it.
            "BACKEND": "config.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": REDIS_TIMEOUT_SECONDS,
                "SOCKET_TIMEOUT": REDIS_TIMEOUT_SECONDS,
                "RETRY_SECONDS": 5,
            },
        }
    }
    # Every app server reads sessions from Redis; the database holds every session too and
    # serves them while Redis is out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "order_list"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_URL = "/static/"
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    # Several app servers share one media store. Credentials come from the standard AWS
    # variables or the instance role. Product images are public: plain URLs (no signatures
    # that expire inside cached pages), and unique names so a file never changes under a URL.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "region_name": env("AWS_S3_REGION_NAME", default="") or None,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default="") or None,
            "custom_domain": env("AWS_S3_CUSTOM_DOMAIN", default="") or None,
            "querystring_auth": False,
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "max-age=86400"},
        },
    }

DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Wagtail Shop <shop@example.com>")
# A mail server that stops answering gives the worker back well within the task lease.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT_SECONDS", default=30)

# Background work (background/engine.py): the shop's tasks are rows of its own database,
# queued in the transaction that decides them; Wagtail's own tasks keep running at once.
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "background": {"BACKEND": "django_tasks_db.DatabaseBackend"},
}
SHOP_TASK_LEASE_SECONDS = env.int("SHOP_TASK_LEASE_SECONDS", default=600)
SHOP_WORKER_POLL_SECONDS = env.float("SHOP_WORKER_POLL_SECONDS", default=1.0)
SHOP_SCHEDULER_TICK_SECONDS = env.float("SHOP_SCHEDULER_TICK_SECONDS", default=5.0)
# Periodic jobs and how often each runs (s, m, h or d); see background/scheduler.py.
SHOP_SCHEDULE = env.dict("SHOP_SCHEDULE", default={})

# The storefront's public address, for links that leave the shop (Stripe's return URLs).
# Empty: the address the request came to, which is fine locally; production requires it.
SHOP_BASE_URL = env("SHOP_BASE_URL", default="")

WAGTAIL_SITE_NAME = "Wagtail Shop"
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", default="http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "pdf", "txt", "xlsx", "zip"]

STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
# The longest one Stripe call may take, retries and pauses included (orders.stripe_gateway
# derives each try's time-out); orders.checks holds it to the worker time-out.
STRIPE_TIME_BUDGET_SECONDS = env.float("STRIPE_TIME_BUDGET_SECONDS", default=9.0)

SHOP_CURRENCY = "usd"
SHOP_MAX_QUANTITY_PER_LINE = env.int("SHOP_MAX_QUANTITY_PER_LINE", default=99)
SHOP_MAX_CART_LINES = 100
SHOP_CHECKOUT_SESSION_MINUTES = 30
# Whole CMS pages for visitors without cookies; 0 turns the cache off.
SHOP_PAGE_CACHE_SECONDS = env.int("SHOP_PAGE_CACHE_SECONDS", default=300)

# Rate limits (config.ratelimit), "count/s|m|h|d" per group of views; a group left out of both
# is not limited. Only requests that pass the CSRF check count.
# Per shopper, counted by session: the cart allows a change a second, far beyond anyone
# clicking; ten checkout starts or sign-in attempts a minute cover a person retrying; the
# success page may be refreshed every two seconds while a bank confirms a payment.
SHOP_RATE_LIMITS = env.dict(
    "SHOP_RATE_LIMITS",
    default={"cart": "60/m", "checkout": "10/m", "login": "10/m", "success": "30/m"},
)
# Per client address, on every request of the group, with or without a session: ten busy
# shoppers' worth, so hundreds of ordinary ones can share one carrier NAT or office address,
# while a client that drops its cookies to escape the per-shopper count is still held.
# Sign-ins get only three times the per-shopper figure: a password guesser drops cookies, so
# this ceiling is the limit that slows it down.
SHOP_RATE_LIMITS_PER_ADDRESS = env.dict(
    "SHOP_RATE_LIMITS_PER_ADDRESS",
    default={"cart": "600/m", "checkout": "100/m", "login": "30/m", "success": "300/m"},
)
# django-ratelimit keeps the counts: client addresses come from config.ratelimit (which
# honours SHOP_TRUSTED_PROXY_COUNT), and a counter store that fails lets requests through,
# since refusing a sale costs the shop more than a minute without limits.
RATELIMIT_IP_META_KEY = "config.ratelimit.client_address"
RATELIMIT_FAIL_OPEN = True
# How many proxies in front of the app append to X-Forwarded-For; 0 trusts no such header.
SHOP_TRUSTED_PROXY_COUNT = env.int("SHOP_TRUSTED_PROXY_COUNT", default=0)

# Content-Security-Policy (config.middleware). The storefront runs no inline code at all.
# Stripe Checkout is reached by a form post that redirects there, which form-action governs.
SHOP_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "form-action": ["'self'", "https://checkout.stripe.com"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}
# Wagtail's admin still writes inline scripts and style attributes in its widgets, shows
# Gravatar pictures (linked without a scheme, so the source names none), previews uploads
# from blob: URLs and asks wagtail.org for new releases.
SHOP_CSP_ADMIN = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'unsafe-inline'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:", "www.gravatar.com"],
    "connect-src": ["'self'", "https://releases.wagtail.org"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
    },
}
