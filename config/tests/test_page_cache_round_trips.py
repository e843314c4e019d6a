"""The page cache asks the shared cache only for CMS pages, once a request.

Redis on a server of the test's own logs every command with its arguments (its slow log with
a threshold of zero), so the test reads what the shop asked for.
"""

from functools import partial

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_cache_on_redis(settings, shop_on_redis, seeded_shop):
    settings.SHOP_PAGE_CACHE_SECONDS = 300
    shop_on_redis.admin().config_set("slowlog-log-slower-than", 0)
    shop_on_redis.admin().config_set("slowlog-max-len", 10_000)
    return shop_on_redis


def page_cache_commands(server, send) -> list[str]:
    """The commands touching stored pages that Redis ran while `send` ran."""
    server.admin().slowlog_reset()
    send()
    commands = [
        entry["command"].decode(errors="replace") for entry in server.admin().slowlog_get(10_000)
    ]
    return [command for command in reversed(commands) if "page-cache" in command]


def test_pages_that_are_not_cms_pages_never_ask_for_a_stored_page(page_cache_on_redis):
    visitor = Client()
    for path in (reverse("cart"), reverse("login"), reverse("order_list")):
        assert page_cache_commands(page_cache_on_redis, partial(visitor.get, path)) == [], path


def test_a_stored_page_is_served_after_one_question_to_the_cache(page_cache_on_redis):
    Client().get("/")

    commands = page_cache_commands(page_cache_on_redis, lambda: Client().get("/"))

    assert len(commands) == 1 and commands[0].startswith("MGET"), commands
