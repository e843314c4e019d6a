"""Fixtures shared by the cache outage tests: a redis-server of their own and the shop on it."""

import pytest
from django.contrib.auth import get_user_model

from config.tests.helpers import PASSWORD, RedisServer, shared_cache_settings
from products.models import Product


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


@pytest.fixture
def shop_on_redis(settings, redis_server):
    """The shop as several app servers run it: sessions cached_db, everything cached in Redis."""
    settings.CACHES = shared_cache_settings(redis_server.url)
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    return redis_server


@pytest.fixture
def products(seeded_shop, stripe_emulator):
    return {product.slug: product for product in Product.objects.all()}


@pytest.fixture
def shopper(db):
    return get_user_model().objects.create_user("sam", email="sam@example.com", password=PASSWORD)


@pytest.fixture
def page_cache_on_redis(settings, shop_on_redis, seeded_shop):
    """The page cache on, and Redis logging every command it runs (a slow log with no threshold)."""
    settings.SHOP_PAGE_CACHE_SECONDS = 300
    shop_on_redis.admin().config_set("slowlog-log-slower-than", 0)
    shop_on_redis.admin().config_set("slowlog-max-len", 10_000)
    return shop_on_redis
