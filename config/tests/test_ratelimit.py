"""Rate limits: per shopper by session, per client address as a ceiling, after the CSRF check."""

import os
import random
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django_ratelimit import core as ratelimit_core

from config import ratelimit
from config.settings import base as base_settings
from orders.models import Order

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/15"
NOW = 1_800_000_010.0
UNREACHABLE_REDIS = {
    "BACKEND": "django_redis.cache.RedisCache",
    "LOCATION": "redis://127.0.0.1:9/0",
    "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
}


@pytest.fixture
def clock(monkeypatch):
    """An empty counter store and a clock that stands still until a test moves it."""
    cache.clear()
    clock = SimpleNamespace(now=NOW)
    monkeypatch.setattr(ratelimit_core, "time", SimpleNamespace(time=lambda: clock.now))
    return clock


@pytest.fixture
def limits(settings, clock):
    """Small limits, so a test reaches them in a few requests."""
    settings.SHOP_RATE_LIMITS = {"cart": "3/m", "checkout": "2/m", "login": "2/m", "success": "2/m"}
    settings.SHOP_RATE_LIMITS_PER_ADDRESS = {
        "cart": "6/m",
        "checkout": "4/m",
        "login": "4/m",
        "success": "4/m",
    }
    settings.SHOP_TRUSTED_PROXY_COUNT = 0
    return clock


@pytest.fixture
def default_limits(settings, clock):
    """The limits the shop runs with unless its environment says otherwise."""
    settings.SHOP_RATE_LIMITS = base_settings.SHOP_RATE_LIMITS
    settings.SHOP_RATE_LIMITS_PER_ADDRESS = base_settings.SHOP_RATE_LIMITS_PER_ADDRESS
    settings.SHOP_TRUSTED_PROXY_COUNT = 0
    return clock


@pytest.fixture
def product(make_product):
    return make_product("Portable Power Bank")


def shopper(**defaults) -> Client:
    """A browser that has already been to the shop: it carries a session cookie."""
    browser = Client(**defaults)
    browser.session  # noqa: B018 (the test client creates and saves a session on first use)
    return browser


def add_to_cart(client, product, **headers):
    return client.post(reverse("cart_add"), {"product_id": product.pk, "quantity": "1"}, **headers)


def add_without_cookies(product, **headers):
    """A post from a client that keeps no cookies, so it never has a session."""
    return add_to_cart(Client(), product, **headers)


def wait_seconds(refused) -> int:
    return int(refused["Retry-After"])


def test_the_61st_cart_change_in_a_minute_is_refused_with_a_readable_page(product, default_limits):
    browser = shopper()

    answers = [add_to_cart(browser, product).status_code for _ in range(60)]
    refused = add_to_cart(browser, product)

    assert set(answers) == {302}
    assert refused.status_code == 429
    assert 1 <= wait_seconds(refused) <= 60
    page = refused.content.decode()
    assert "Please slow down" in page
    assert f"Please wait {wait_seconds(refused)} second" in page
    assert "Your cart is saved and nothing was charged." in page


def test_eleven_shoppers_behind_one_address_all_check_out_in_the_same_minute(
    product, default_limits, stripe_emulator
):
    shoppers = [Client() for _ in range(11)]
    for browser in shoppers:
        add_to_cart(browser, product)

    answers = [browser.post(reverse("create_checkout_session")) for browser in shoppers]

    assert [answer.status_code for answer in answers] == [303] * 11
    assert Order.objects.filter(stripe_checkout_session_id__isnull=False).count() == 11
    assert {answer["Location"] for answer in answers} == set(
        Order.objects.values_list("stripe_checkout_url", flat=True)
    )


def test_one_shopper_over_the_checkout_limit_is_refused_while_others_go_on(product, default_limits):
    busy, other = shopper(), shopper()

    answers = [busy.post(reverse("create_checkout_session")).status_code for _ in range(10)]
    refused = busy.post(reverse("create_checkout_session"))

    assert 429 not in answers
    assert refused.status_code == 429
    assert other.post(reverse("create_checkout_session")).status_code != 429


def test_forged_cross_site_posts_do_not_use_up_the_shoppers_checkout_limit(
    product, default_limits, stripe_emulator
):
    victim = Client(enforce_csrf_checks=True)
    victim.get(reverse("product_detail", args=[product.slug]))
    token = victim.cookies["csrftoken"].value
    add_to_cart(victim, product, HTTP_X_CSRFTOKEN=token)
    checkout = reverse("create_checkout_session")

    # Another site makes the shopper's browser post without the token, or with a wrong one.
    forged = [victim.post(checkout).status_code for _ in range(5)]
    forged += [
        victim.post(checkout, {"csrfmiddlewaretoken": "x" * 32}).status_code for _ in range(5)
    ]
    own = victim.post(checkout, HTTP_X_CSRFTOKEN=token)

    assert forged == [403] * 10
    assert own.status_code == 303
    assert own["Location"] == Order.objects.get().stripe_checkout_url


def test_the_address_ceiling_stops_a_flood_of_posts_without_cookies(default_limits):
    checkout = reverse("create_checkout_session")

    answers = [Client().post(checkout).status_code for _ in range(100)]

    assert 429 not in answers
    assert Client().post(checkout).status_code == 429
    assert Client().post(checkout, REMOTE_ADDR="198.51.100.2").status_code != 429


def test_a_shopper_cannot_escape_the_address_ceiling_with_new_sessions(product, limits):
    answers = [add_to_cart(shopper(), product).status_code for _ in range(6)]

    assert set(answers) == {302}
    assert add_to_cart(shopper(), product).status_code == 429


def test_the_limit_lifts_exactly_when_retry_after_says(product, limits):
    browser = shopper()
    for _ in range(3):
        add_to_cart(browser, product)
    refused = add_to_cart(browser, product)
    assert refused.status_code == 429

    limits.now += wait_seconds(refused) - 1
    assert add_to_cart(browser, product).status_code == 429
    limits.now += 1
    assert add_to_cart(browser, product).status_code == 302


def test_every_cart_change_counts_towards_the_same_limit(product, limits):
    browser = shopper()
    add_to_cart(browser, product)
    browser.post(reverse("cart_update"), {"product_id": product.pk, "quantity": "2"})
    browser.post(reverse("cart_remove"), {"product_id": product.pk})

    assert browser.post(reverse("cart_clear")).status_code == 429


def test_json_clients_get_a_json_error_with_retry_after(product, limits):
    browser = shopper()
    for _ in range(3):
        add_to_cart(browser, product)

    refused = add_to_cart(browser, product, HTTP_ACCEPT="application/json")

    assert refused.status_code == 429
    seconds = wait_seconds(refused)
    assert refused.json() == {
        "error": "You have sent too many requests in a short time. "
        f"Please wait {seconds} seconds and try again."
    }


def test_checkout_starts_are_limited(limits):
    browser = shopper()
    url = reverse("create_checkout_session")
    for _ in range(2):
        assert browser.post(url).status_code != 429

    assert browser.post(url).status_code == 429


def test_the_success_page_is_limited_without_frightening_a_shopper_who_paid(limits):
    browser = shopper()
    url = reverse("checkout_success") + "?session_id=cs_test_unknown"
    answers = [browser.get(url).status_code for _ in range(2)]

    refused = browser.get(url)

    assert answers == [404, 404]
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Your order is safe, and you will not be charged twice." in page
    assert "nothing was charged" not in page


@pytest.mark.parametrize("url_name", ["login", "signup", "password_reset", "wagtailadmin_login"])
def test_password_guessing_is_slowed_down(client, limits, url_name):
    url = reverse(url_name)
    form = {"username": "shopper", "password": "guess", "password1": "x", "password2": "y"}
    for _ in range(4):
        assert client.post(url, form).status_code == 200

    assert client.post(url, form).status_code == 429
    assert client.get(url).status_code == 200


def test_reading_pages_is_never_limited(client, limits):
    for _ in range(10):
        assert client.get(reverse("cart")).status_code == 200


def test_forwarded_addresses_are_ignored_unless_a_proxy_is_trusted(product, limits):
    for number in range(6):
        add_without_cookies(product, HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")

    assert add_without_cookies(product, HTTP_X_FORWARDED_FOR="192.0.2.9").status_code == 429


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_ceiling(
    product, limits, settings
):
    settings.SHOP_TRUSTED_PROXY_COUNT = 1
    for _ in range(6):
        add_without_cookies(product, HTTP_X_FORWARDED_FOR="192.0.2.1")

    assert add_without_cookies(product, HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 429
    assert add_without_cookies(product, HTTP_X_FORWARDED_FOR="192.0.2.2").status_code == 302


def test_a_client_cannot_escape_its_ceiling_by_making_up_forwarded_addresses(
    product, limits, settings
):
    settings.SHOP_TRUSTED_PROXY_COUNT = 1
    for number in range(6):
        # The proxy appends the address it saw; the entries before it are the client's claims.
        add_without_cookies(product, HTTP_X_FORWARDED_FOR=f"10.9.9.{number}, 192.0.2.1")

    refused = add_without_cookies(product, HTTP_X_FORWARDED_FOR="10.9.9.77, 192.0.2.1")
    assert refused.status_code == 429


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


def test_an_ipv6_client_shares_one_ceiling_across_its_slash_64(product, limits):
    for number in range(6):
        add_without_cookies(product, REMOTE_ADDR=f"2001:db8:1:2:aaaa::{number + 1}")

    assert add_without_cookies(product, REMOTE_ADDR="2001:db8:1:2:bbbb::9").status_code == 429
    assert add_without_cookies(product, REMOTE_ADDR="2001:db8:1:3::1").status_code == 302


@pytest.mark.parametrize("text", ["60", "60/minute", "x/m", "-1/m", ""])
def test_a_mistyped_rate_is_refused(text):
    with pytest.raises(ValueError, match="A rate looks like 60/m"):
        ratelimit.Rate.parse(text)


HITS_FROM_ANOTHER_PROCESS = """
import sys
from types import SimpleNamespace

import django

django.setup()
from django.conf import settings
from django.test import RequestFactory
from django_ratelimit import core

from config import ratelimit

address, now = sys.argv[1], float(sys.argv[2])
core.time = SimpleNamespace(time=lambda: now)
settings.SHOP_RATE_LIMITS_PER_ADDRESS = {"cart": "6/m"}
request = RequestFactory().post("/cart/add/", REMOTE_ADDR=address)
request.session = SimpleNamespace(session_key=None)
for counter in ratelimit.counters_for(request, "cart"):
    for _ in range(5):
        assert counter.seconds_to_wait(request) is None
"""


def test_with_redis_the_count_is_shared_by_every_app_server(product, limits, settings):
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
    assert add_without_cookies(product, REMOTE_ADDR=address).status_code == 302
    assert add_without_cookies(product, REMOTE_ADDR=address).status_code == 429


@pytest.mark.parametrize(
    "store",
    [
        pytest.param(UNREACHABLE_REDIS, id="raising"),
        pytest.param(
            {
                **UNREACHABLE_REDIS,
                "OPTIONS": {**UNREACHABLE_REDIS["OPTIONS"], "IGNORE_EXCEPTIONS": True},
            },
            id="failing-soft",
        ),
    ],
)
def test_an_unreachable_counter_store_lets_shoppers_through(product, limits, settings, store):
    browser = shopper()
    settings.CACHES = {"default": store}

    answers = [add_to_cart(browser, product).status_code for _ in range(5)]
    answers += [add_without_cookies(product).status_code for _ in range(7)]

    assert set(answers) == {302}
