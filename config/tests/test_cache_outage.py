"""With Redis stopped or hanging the shop keeps selling, and nothing goes stale when it is back.

Each test starts its own redis-server on a free port, so it can stop it, restart it, or freeze
it with SIGSTOP (a hung server: connections are accepted, nothing is answered).
"""

import logging
import os
import signal
import socket
import subprocess
import time

import pytest
import redis
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

import config.cache
from home.models import HomePage
from orders.models import Order
from orders.tests.factories import session_object
from orders.tests.helpers import post_webhook
from products.models import Product
from stripe_emulator import objects

pytestmark = pytest.mark.django_db

REDIS_SERVER = "/usr/bin/redis-server"
SOCKET_TIMEOUT = 0.25
RETRY_SECONDS = 0.3
PASSWORD = "a-long-shopper-password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A throwaway redis-server that a test can stop, start again, freeze and thaw."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        self.frozen = False

    def start(self):
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                self.admin().ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def stop(self):
        self.thaw()
        self.process.kill()
        self.process.wait(timeout=10)

    def freeze(self):
        os.kill(self.process.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self):
        if self.frozen:
            os.kill(self.process.pid, signal.SIGCONT)
            self.frozen = False

    def admin(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)

    def connections_received(self) -> int:
        """Connections accepted so far, not counting the one asking."""
        return self.admin().info("stats")["total_connections_received"] - 1


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


def shared_cache_settings(url: str, retry_seconds: float = RETRY_SECONDS) -> dict:
    return {
        "default": {
            "BACKEND": "config.cache.FailSoftRedisCache",
            "LOCATION": url,
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": SOCKET_TIMEOUT,
                "SOCKET_TIMEOUT": SOCKET_TIMEOUT,
                "RETRY_SECONDS": retry_seconds,
            },
        }
    }


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


def wait_until_the_cache_answers():
    """Until this process has seen Redis answer again (and forgotten what went stale)."""
    deadline = time.monotonic() + 10
    while not caches["default"].is_available():
        assert time.monotonic() < deadline, "the cache never came back"
        time.sleep(0.05)


def add(client, product, quantity=1):
    return client.post(reverse("cart_add"), {"product_id": product.pk, "quantity": quantity})


def update(client, product, quantity):
    return client.post(reverse("cart_update"), {"product_id": product.pk, "quantity": quantity})


def sign_in(client):
    return client.post(reverse("login"), {"username": "sam", "password": PASSWORD})


def cart_of(client) -> dict[str, int]:
    response = client.get(reverse("cart"))
    assert response.status_code == 200
    return {line.product.slug: line.quantity for line in response.context["lines"]}


def is_signed_in(client) -> bool:
    return client.get(reverse("order_list")).wsgi_request.user.is_authenticated


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
    timed(figures, "cart add", lambda: add(client, power_bank))
    timed(figures, "cart update", lambda: update(client, headphones, 3))
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
    add(client, products["wireless-bluetooth-headphones"])
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
    assert cart_of(client) == {"wireless-bluetooth-headphones": 3, "portable-power-bank": 1}

    shop_on_redis.start()
    wait_until_the_cache_answers()

    assert cart_of(client) == {"wireless-bluetooth-headphones": 3, "portable-power-bank": 1}
    assert is_signed_in(client)


def test_while_redis_hangs_each_request_answers_within_a_moment(
    shop_on_redis, products, shopper, settings
):
    # Probes spaced far apart: only the first call of the hang may wait for Redis.
    settings.CACHES = shared_cache_settings(shop_on_redis.url, retry_seconds=60)
    client = Client()
    add(client, products["wireless-bluetooth-headphones"])
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


def test_a_cart_changed_while_redis_hangs_is_not_rolled_back_when_it_resumes(
    shop_on_redis, products
):
    headphones = products["wireless-bluetooth-headphones"]
    power_bank = products["portable-power-bank"]
    client = Client()
    add(client, headphones)
    assert cart_of(client) == {"wireless-bluetooth-headphones": 1}
    shop_on_redis.freeze()

    assert update(client, headphones, 2).status_code == 302
    assert add(client, power_bank).status_code == 302

    shop_on_redis.thaw()
    wait_until_the_cache_answers()
    assert cart_of(client) == {"wireless-bluetooth-headphones": 2, "portable-power-bank": 1}


def test_a_shopper_who_signs_in_while_redis_hangs_stays_signed_in_with_their_cart(
    shop_on_redis, products, shopper
):
    client = Client()
    add(client, products["portable-power-bank"])
    shop_on_redis.freeze()

    assert add(client, products["wireless-bluetooth-headphones"]).status_code == 302
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


def test_an_outage_is_logged_once_and_its_end_once(shop_on_redis, products, caplog):
    client = Client()
    add(client, products["portable-power-bank"])
    shop_on_redis.stop()

    with caplog.at_level(logging.INFO, logger="config.cache"):
        for _ in range(3):
            assert client.get("/").status_code == 200
            assert add(client, products["portable-power-bank"]).status_code == 302
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


def test_rate_limits_let_shoppers_through_while_redis_is_down(
    shop_on_redis, products, settings, caplog
):
    settings.SHOP_RATE_LIMITS_PER_ADDRESS = {"cart": "2/m"}
    power_bank = products["portable-power-bank"]
    assert [add(Client(), power_bank).status_code for _ in range(3)] == [302, 302, 429]
    shop_on_redis.stop()

    with caplog.at_level(logging.INFO):
        answers = [add(Client(), power_bank).status_code for _ in range(5)]

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
