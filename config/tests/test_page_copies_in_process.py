"""Each process serves its own copies of stored pages, and still shows every change in time.

Another app server is stood in for by writing to Redis directly what its publish writes there
(a new version), with the page's content changed without this process's signals.
"""

import time

import pytest
from django.core.cache import cache
from django.test import Client

from config.tests.helpers import page_cache_commands
from home import page_cache
from home.models import HomePage

pytestmark = pytest.mark.django_db


def test_a_page_this_server_saw_lately_is_served_without_asking_redis(page_cache_on_redis):
    Client().get("/")
    Client().get("/")

    commands = page_cache_commands(page_cache_on_redis, lambda: Client().get("/"))
    page = Client().get("/").content.decode()

    assert commands == []
    assert "Good things, shipped fast" in page


def test_a_page_published_through_another_server_shows_here_within_the_bound(
    page_cache_on_redis,
):
    Client().get("/")
    Client().get("/")
    HomePage.objects.update(hero_heading="Summer sale")
    cache.set(page_cache.VERSION_KEY, "published-elsewhere", None)

    time.sleep(page_cache.LOCAL_COPY_SECONDS)

    assert "Summer sale" in Client().get("/").content.decode()


def test_a_page_published_through_this_server_shows_at_once(page_cache_on_redis):
    Client().get("/")
    Client().get("/")
    home = HomePage.objects.get()
    home.hero_heading = "Summer sale"

    home.save_revision().publish()

    assert "Summer sale" in Client().get("/").content.decode()


def test_pages_are_served_fresh_once_redis_stops(page_cache_on_redis):
    Client().get("/")
    Client().get("/")
    page_cache_on_redis.stop()
    HomePage.objects.update(hero_heading="Summer sale")

    time.sleep(page_cache.LOCAL_COPY_SECONDS)
    response = Client().get("/")

    assert response.status_code == 200
    assert "Summer sale" in response.content.decode()


def test_a_copy_is_not_served_after_the_shared_cache_would_have_let_it_expire(
    page_cache_on_redis, settings
):
    settings.SHOP_PAGE_CACHE_SECONDS = 1
    Client().get("/")
    HomePage.objects.update(hero_heading="Summer sale")

    time.sleep(1)
    page_cache.local_copies.version_seen_at = time.monotonic()

    assert "Summer sale" in Client().get("/").content.decode()


def test_every_visitor_served_from_a_copy_gets_a_csrf_token_of_their_own(page_cache_on_redis):
    Client().get("/")
    first, second = Client(), Client()

    first.get("/")
    second.get("/")

    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value
