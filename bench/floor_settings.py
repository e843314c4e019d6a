"""The floors the shop is measured against: Django with no middleware and no apps, serving a bare
view and a view that stores its request body in one durable INSERT and COMMIT.

Served by gunicorn beside the shop in the same run (DJANGO_SETTINGS_MODULE=bench.floor_settings),
on the same PostgreSQL database, with synchronous_commit on as the shop has it.
"""

import os

SECRET_KEY = "benchmark-only-secret-key"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "bench.floor_urls"
INSTALLED_APPS = []
MIDDLEWARE = []
USE_TZ = True
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("BENCH_DATABASE", "shop_bench"),
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": "5432",
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}
TABLE = "bench_durable_write"
CREATE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id bigserial PRIMARY KEY, body text NOT NULL, received_at timestamptz NOT NULL DEFAULT now())"
)
