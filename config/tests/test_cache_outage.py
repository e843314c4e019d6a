"""With Redis stopped or hanging the shop keeps selling, answers quickly and says so once.

Each test starts its own redis-server on a free port, so it can stop it, restart it, or freeze
it with SIGSTOP (a hung server: connections are accepted, nothing is answered).
"""

import logging
import time

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from config.tests.helpers import (
    RETRY_SECONDS,
    SOCKET_TIMEOUT,
    add_to_cart,
    cart_of,
    is_signed_in,
    shared_cache_settings,
    sign_in,
    update_cart,
    wait_until_the_cache_answers,
)
from orders.models import Order
from orders.tests.factories import session_object
from orders.tests.helpers import post_webhook
from stripe_emulator import objects

pytestmark = pytest.mark.django_db


def timed(figures: dict, name: str, request):
    started = time.monotonic()
    response = request()
    figures[name] = (response.status_code, time.monotonic() - started)
    return response


def shop_through_an_outage(client, products, figures) -> None:
    """Everything a shopper and Stripe do in one visit: browse, cart, pay, sign in, webhook."""
    headphones = products["wireless-bluetooth-headphones"]
    power_bank = products["portable-power-bank"]
    timed(figures, "home", lambda: client.get("/"))
    timed(figures, "cart add", lambda: add_to_cart(client, power_bank))
    timed(figures, "cart update", lambda: update_cart(client, headphones, 3))
    timed(figures, "cart page", lambda: client.get(reverse("cart")))
    timed(figures, "checkout", lambda: client.post(reverse("create_checkout_session")))
    order = Order.objects.latest("created_at")
    event = objects.event("checkout.session.completed", session_object(order))
    timed(figures, "webhook", lambda: post_webhook(Client(), event))
    timed(figures, "sign in", lambda: sign_in(client))
    timed(figures, "orders page", lambda: client.get(reverse("order_list")))


def print_figures(title: str, figures: dict) -> None:
    print(f"\n{title}")
    for name, (status, seconds) in figures.items():
        print(f"  {name:<12} {status}  {seconds * 1000:7.1f} ms")


def test_the_shop_keeps_selling_while_redis_is_stopped(shop_on_redis, products, shopper):
    client = Client()
    add_to_cart(client, products["wireless-bluetooth-headphones"])
    shop_on_redis.stop()

    figures = {}
    shop_through_an_outage(client, products, figures)

    print_figures("Redis stopped:", figures)
    assert {name: status for name, (status, _) in figures.items()} == {
        "home": 200,
        "cart add": 302,
        "cart update": 302,
        "cart page": 200,
        "checkout": 303,
        "webhook": 200,
        "sign in": 302,
        "orders page": 200,
    }
    assert Order.objects.get().status == Order.Status.PAID
    # The payment took what it bought out of the cart; what is added next is kept.
    assert cart_of(client) == {}
    add_to_cart(client, products["portable-power-bank"], 2)
    assert cart_of(client) == {"portable-power-bank": 2}

    shop_on_redis.start()
    wait_until_the_cache_answers()

    assert cart_of(client) == {"portable-power-bank": 2}
    assert is_signed_in(client)


def test_while_redis_hangs_each_request_answers_within_a_moment(
    shop_on_redis, products, shopper, settings
):
    # Probes spaced far apart: only the first call of the hang may wait for Redis.
    settings.CACHES = shared_cache_settings(shop_on_redis.url, retry_seconds=60)
    client = Client()
    add_to_cart(client, products["wireless-bluetooth-headphones"])
    connections_before = shop_on_redis.connections_received()
    shop_on_redis.freeze()

    figures = {}
    shop_through_an_outage(client, products, figures)

    shop_on_redis.thaw()
    print_figures(f"Redis hung (socket timeout {SOCKET_TIMEOUT} s):", figures)
    assert all(status < 500 for status, _ in figures.values()), figures
    # Generous: without the breaker each request would wait at least one timeout per cache call.
    assert all(seconds < 2 for _, seconds in figures.values()), figures
    assert shop_on_redis.connections_received() - connections_before <= 1


def test_an_outage_is_logged_once_and_its_end_once(shop_on_redis, products, caplog):
    client = Client()
    add_to_cart(client, products["portable-power-bank"])
    shop_on_redis.stop()

    with caplog.at_level(logging.INFO, logger="config.cache"):
        for _ in range(3):
            assert client.get("/").status_code == 200
            assert add_to_cart(client, products["portable-power-bank"]).status_code == 302
            time.sleep(RETRY_SECONDS / 2)
        shop_on_redis.start()
        wait_until_the_cache_answers()
        for _ in range(3):
            assert client.get("/").status_code == 200

    lines = [(record.levelname, record.getMessage()) for record in caplog.records]
    assert [level for level, _ in lines] == ["WARNING", "INFO"], lines
    assert f"127.0.0.1:{shop_on_redis.port}" in lines[0][1]
    assert "is unavailable" in lines[0][1]
    assert "answers again" in lines[1][1]
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_rate_limits_let_shoppers_through_while_redis_is_down(
    shop_on_redis, products, settings, caplog
):
    settings.SHOP_RATE_LIMITS_PER_ADDRESS = {"cart": "2/m"}
    power_bank = products["portable-power-bank"]
    assert [add_to_cart(Client(), power_bank).status_code for _ in range(3)] == [302, 302, 429]
    shop_on_redis.stop()

    with caplog.at_level(logging.INFO):
        answers = [add_to_cart(Client(), power_bank).status_code for _ in range(5)]

    assert answers == [302] * 5
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_while_redis_is_down_counters_read_as_nothing_counted_yet(shop_on_redis):
    cache = caches["default"]
    shop_on_redis.stop()

    assert cache.add("ratelimit:cart:203.0.113.7:1", 1, timeout=60) is False
    assert cache.incr("ratelimit:cart:203.0.113.7:1") == 0
    assert cache.get("ratelimit:cart:203.0.113.7:1") is None
    assert cache.get_or_set("anything", "computed") == "computed"


def test_healthz_names_the_cache_degraded_but_answers_200_while_redis_is_out(shop_on_redis, client):
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "cache": "ok"}

    shop_on_redis.freeze()
    started = time.monotonic()
    hung = client.get("/healthz")
    seconds = time.monotonic() - started
    shop_on_redis.thaw()
    print(f"\n/healthz while Redis hangs: {seconds * 1000:.1f} ms")
    shop_on_redis.stop()
    stopped = client.get("/healthz")

    for response in (hung, stopped):
        assert response.status_code == 200
        assert response.json() == {"status": "degraded", "database": "ok", "cache": "degraded"}
    assert seconds < 2

    shop_on_redis.start()
    wait_until_the_cache_answers()
    assert client.get("/healthz").json()["cache"] == "ok"
