"""When Redis answers again after an outage, nothing the shop changed meanwhile goes stale.

Each test starts its own redis-server on a free port, so it can stop it, restart it, or freeze
it with SIGSTOP (a hung server: connections are accepted, nothing is answered).
"""

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

import config.cache
from config.tests.helpers import (
    add_to_cart,
    cart_of,
    is_signed_in,
    sign_in,
    update_cart,
    wait_until_the_cache_answers,
)
from home.models import HomePage

pytestmark = pytest.mark.django_db


def test_a_cart_changed_while_redis_hangs_is_not_rolled_back_when_it_resumes(
    shop_on_redis, products
):
    headphones = products["wireless-bluetooth-headphones"]
    power_bank = products["portable-power-bank"]
    client = Client()
    add_to_cart(client, headphones)
    assert cart_of(client) == {"wireless-bluetooth-headphones": 1}
    shop_on_redis.freeze()

    assert update_cart(client, headphones, 2).status_code == 302
    assert add_to_cart(client, power_bank).status_code == 302

    shop_on_redis.thaw()
    wait_until_the_cache_answers()
    assert cart_of(client) == {"wireless-bluetooth-headphones": 2, "portable-power-bank": 1}


def test_a_shopper_who_signs_in_while_redis_hangs_stays_signed_in_with_their_cart(
    shop_on_redis, products, shopper
):
    client = Client()
    add_to_cart(client, products["portable-power-bank"])
    shop_on_redis.freeze()

    assert add_to_cart(client, products["wireless-bluetooth-headphones"]).status_code == 302
    assert sign_in(client).status_code == 302

    shop_on_redis.thaw()
    wait_until_the_cache_answers()
    assert is_signed_in(client)
    assert cart_of(client) == {"wireless-bluetooth-headphones": 1, "portable-power-bank": 1}


def test_a_shopper_who_signs_out_while_redis_hangs_stays_signed_out(shop_on_redis, shopper):
    client = Client()
    sign_in(client)
    assert is_signed_in(client)
    old_cookie = client.cookies["sessionid"].value
    shop_on_redis.freeze()

    assert client.post(reverse("logout")).status_code == 302

    shop_on_redis.thaw()
    wait_until_the_cache_answers()
    someone_with_the_old_cookie = Client()
    someone_with_the_old_cookie.cookies["sessionid"] = old_cookie
    assert not is_signed_in(someone_with_the_old_cookie)
    assert not is_signed_in(client)


def test_a_page_published_while_redis_hangs_is_shown_when_it_resumes(
    shop_on_redis, seeded_shop, settings
):
    settings.SHOP_PAGE_CACHE_SECONDS = 300
    assert "Good things, shipped fast" in Client().get("/").content.decode()
    shop_on_redis.freeze()
    assert Client().get("/").status_code == 200

    home = HomePage.objects.get()
    home.hero_heading = "Summer sale"
    home.save_revision().publish()
    assert "Summer sale" in Client().get("/").content.decode()

    shop_on_redis.thaw()
    wait_until_the_cache_answers()
    assert "Summer sale" in Client().get("/").content.decode()


def test_only_the_entries_written_during_an_outage_are_forgotten(shop_on_redis):
    cache = caches["default"]
    cache.set_many({"untouched": "kept", "changed": "old", "removed": "old"})
    shop_on_redis.freeze()
    cache.get("untouched")

    cache.set("changed", "new")
    cache.delete("removed")

    shop_on_redis.thaw()
    wait_until_the_cache_answers()
    assert cache.get_many(["untouched", "changed", "removed"]) == {"untouched": "kept"}


def test_after_too_many_skipped_writes_only_the_shops_own_keys_are_forgotten(
    shop_on_redis, monkeypatch
):
    monkeypatch.setattr(config.cache, "MAX_REMEMBERED_KEYS", 3)
    cache = caches["default"]
    cache.set_many({"untouched": "kept", "changed": "old"})
    other_application = shop_on_redis.admin()
    other_application.set("another-app:session", "theirs")
    shop_on_redis.freeze()
    cache.get("untouched")

    for number in range(5):
        cache.set(f"new-{number}", number)
    cache.set("changed", "new")

    shop_on_redis.thaw()
    wait_until_the_cache_answers()
    assert cache.get_many(["untouched", "changed"]) == {}
    assert other_application.get("another-app:session") == b"theirs"


def test_an_answer_redis_sends_after_its_command_timed_out_is_never_taken_for_another(
    shop_on_redis,
):
    cache = caches["default"]
    cache.set_many({"asked-while-frozen": "its own answer", "asked-after": "the right answer"})
    shop_on_redis.freeze()
    assert cache.get("asked-while-frozen") is None

    shop_on_redis.thaw()
    wait_until_the_cache_answers()
    assert cache.get("asked-after") == "the right answer"
    assert cache.get("asked-while-frozen") == "its own answer"
