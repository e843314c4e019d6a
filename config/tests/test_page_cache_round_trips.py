"""The page cache asks the shared cache only for CMS pages, at most once a request.

Redis on a server of the test's own logs every command with its arguments (its slow log with
a threshold of zero), so the test reads what the shop asked for.
"""

from functools import partial

import pytest
from django.test import Client
from django.urls import reverse

from config.tests.helpers import page_cache_commands
from home import page_cache

pytestmark = pytest.mark.django_db


def test_pages_that_are_not_cms_pages_never_ask_for_a_stored_page(page_cache_on_redis):
    visitor = Client()
    for path in (reverse("cart"), reverse("login"), reverse("order_list")):
        assert page_cache_commands(page_cache_on_redis, partial(visitor.get, path)) == [], path


def test_a_stored_page_is_served_after_one_question_to_the_cache(page_cache_on_redis, monkeypatch):
    monkeypatch.setattr(page_cache, "LOCAL_COPY_SECONDS", 0)
    Client().get("/")

    commands = page_cache_commands(page_cache_on_redis, lambda: Client().get("/"))

    assert len(commands) == 1 and commands[0].startswith("MGET"), commands
