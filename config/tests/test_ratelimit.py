"""Rate limits per client address on cart changes, checkout starts and sign-in attempts."""

import os
import random
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.urls import reverse

from config import ratelimit

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/15"
# Ten seconds into a one-minute window.
NOW = 1_800_000_010.0


@pytest.fixture
def limits(settings, monkeypatch):
    """Small limits, an empty counter store, and a clock that stands still."""
    settings.SHOP_RATE_LIMITS = {"cart": "3/m", "checkout": "2/m", "login": "2/m"}
    settings.SHOP_TRUSTED_PROXY_COUNT = 0
    cache.clear()
    clock = SimpleNamespace(now=NOW)
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: clock.now))
    return clock


@pytest.fixture
def product(make_product):
    return make_product("Portable Power Bank")


def add_to_cart(client, product, **headers):
    return client.post(reverse("cart_add"), {"product_id": product.pk, "quantity": "1"}, **headers)


def test_the_61st_cart_add_in_a_minute_is_refused_with_a_readable_page(
    client, product, limits, settings
):
    settings.SHOP_RATE_LIMITS = {"cart": "60/m"}

    answers = [add_to_cart(client, product).status_code for _ in range(60)]
    refused = add_to_cart(client, product)

    assert set(answers) == {302}
    assert refused.status_code == 429
    assert refused["Retry-After"] == "50"
    page = refused.content.decode()
    assert "Please slow down" in page
    assert "Please wait 50 seconds and try again." in page
    assert "Your cart is saved and nothing was charged." in page


def test_other_shoppers_are_not_slowed_down_by_one_busy_client(client, product, limits):
    for _ in range(4):
        add_to_cart(client, product, REMOTE_ADDR="203.0.113.7")

    assert add_to_cart(client, product, REMOTE_ADDR="203.0.113.7").status_code == 429
    assert add_to_cart(client, product, REMOTE_ADDR="198.51.100.2").status_code == 302


def test_the_limit_lifts_when_the_minute_is_over(client, product, limits):
    for _ in range(3):
        add_to_cart(client, product)
    assert add_to_cart(client, product).status_code == 429

    limits.now += 50

    assert add_to_cart(client, product).status_code == 302


def test_every_cart_change_counts_towards_the_same_limit(client, product, limits):
    add_to_cart(client, product)
    client.post(reverse("cart_update"), {"product_id": product.pk, "quantity": "2"})
    client.post(reverse("cart_remove"), {"product_id": product.pk})

    assert client.post(reverse("cart_clear")).status_code == 429


def test_json_clients_get_a_json_error_with_retry_after(client, product, limits):
    for _ in range(3):
        add_to_cart(client, product)

    refused = add_to_cart(client, product, HTTP_ACCEPT="application/json")

    assert refused.status_code == 429
    assert refused["Retry-After"] == "50"
    assert refused.json() == {
        "error": "You have sent too many requests in a short time. "
        "Please wait 50 seconds and try again."
    }


def test_checkout_starts_are_limited(client, limits):
    url = reverse("create_checkout_session")
    for _ in range(2):
        assert client.post(url).status_code != 429

    assert client.post(url).status_code == 429


@pytest.mark.parametrize("url_name", ["login", "signup", "wagtailadmin_login"])
def test_password_guessing_is_slowed_down(client, limits, url_name):
    url = reverse(url_name)
    form = {"username": "shopper", "password": "guess", "password1": "x", "password2": "y"}
    for _ in range(2):
        assert client.post(url, form).status_code == 200

    assert client.post(url, form).status_code == 429
    assert client.get(url).status_code == 200


def test_reading_pages_is_never_limited(client, limits):
    for _ in range(5):
        assert client.get(reverse("cart")).status_code == 200


def test_forwarded_addresses_are_ignored_unless_a_proxy_is_trusted(client, product, limits):
    for number in range(3):
        add_to_cart(client, product, HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")

    assert add_to_cart(client, product, HTTP_X_FORWARDED_FOR="192.0.2.9").status_code == 429


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(
    client, product, limits, settings
):
    settings.SHOP_TRUSTED_PROXY_COUNT = 1
    for _ in range(3):
        add_to_cart(client, product, HTTP_X_FORWARDED_FOR="192.0.2.1")

    assert add_to_cart(client, product, HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 429
    assert add_to_cart(client, product, HTTP_X_FORWARDED_FOR="192.0.2.2").status_code == 302


def test_a_client_cannot_escape_its_limit_by_making_up_forwarded_addresses(
    client, product, limits, settings
):
    settings.SHOP_TRUSTED_PROXY_COUNT = 1
    for number in range(3):
        # The proxy appends the address it saw; the entries before it are the client's claims.
        add_to_cart(client, product, HTTP_X_FORWARDED_FOR=f"10.9.9.{number}, 192.0.2.1")

    assert (
        add_to_cart(client, product, HTTP_X_FORWARDED_FOR="10.9.9.77, 192.0.2.1").status_code == 429
    )


@pytest.mark.parametrize(
    ("forwarded", "trusted", "expected"),
    [
        ("", 1, "127.0.0.1"),
        ("192.0.2.1", 1, "192.0.2.1"),
        ("10.0.0.5, 192.0.2.1", 1, "192.0.2.1"),
        ("192.0.2.1, 10.0.0.5", 2, "192.0.2.1"),
        ("192.0.2.1", 2, "127.0.0.1"),
        ("not-an-address", 1, "127.0.0.1"),
    ],
)
def test_client_address_counts_trusted_proxies_from_the_right(
    rf, settings, forwarded, trusted, expected
):
    settings.SHOP_TRUSTED_PROXY_COUNT = trusted
    request = rf.post("/cart/add/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="127.0.0.1")

    assert ratelimit.client_address(request) == expected


def test_an_ipv6_client_is_limited_as_its_whole_slash_64():
    assert ratelimit.client_key("2001:db8:1:2:aaaa::1") == ratelimit.client_key(
        "2001:db8:1:2:bbbb::9"
    )
    assert ratelimit.client_key("192.0.2.1") == "192.0.2.1"


@pytest.mark.parametrize("text", ["60", "60/minute", "x/m", "-1/m", ""])
def test_a_mistyped_rate_is_refused(text):
    with pytest.raises(ValueError, match="A rate looks like 60/m"):
        ratelimit.Rate.parse(text)


HITS_FROM_ANOTHER_PROCESS = """
import sys

import django

django.setup()
from config import ratelimit

client, now = sys.argv[1], float(sys.argv[2])
for _ in range(2):
    assert ratelimit.hit("cart", client, ratelimit.Rate.parse("3/m"), now=now) is None
"""


def test_with_redis_the_count_is_shared_by_every_app_server(client, product, limits, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL}
    }
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "REDIS_URL": REDIS_URL,
    }

    other_server = subprocess.run(
        [sys.executable, "-c", HITS_FROM_ANOTHER_PROCESS, address, str(NOW)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert other_server.returncode == 0, other_server.stderr
    assert add_to_cart(client, product, REMOTE_ADDR=address).status_code == 302
    assert add_to_cart(client, product, REMOTE_ADDR=address).status_code == 429


def test_an_unreachable_cache_lets_shoppers_through(client, product, limits, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2},
        }
    }

    assert add_to_cart(client, product).status_code == 302
