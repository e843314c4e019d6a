"""Twenty shoppers racing for the last unit: exactly one checkout holds it, from threads in one
process or from requests spread over two gunicorn servers on one PostgreSQL."""

import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from orders import checkout
from orders.cart import SESSION_KEY, Cart
from orders.models import Order, line_key
from orders.shoppers import SHOPPER_SESSION_KEY
from orders.tests.helpers import CHECKOUT_URLS
from orders.tests.servers import ROOT, database_url, free_port, wait_until_serving
from products.tests.factories import make_variant, stock_of

pytestmark = pytest.mark.django_db(transaction=True)

SHOPPERS = 20
CSRF_TOKEN = "r" * 32


@pytest.fixture
def last_unit(seeded_shop, make_product):
    """A product whose one variant has a single unit left."""
    product = make_product("Signed Print", "80.00")
    return product, make_variant(product, "Framed", "PRINT-F", on_hand=1)


def race(count: int, attempt) -> list:
    """Run `attempt(index)` from `count` threads released together; return what each gave."""
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def run(index):
        try:
            barrier.wait()
            outcomes[index] = attempt(index)
        except Exception as error:  # noqa: BLE001 - every outcome is asserted on below
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_twenty_shoppers_in_threads_racing_for_the_last_unit_one_holds_it(
    last_unit, stripe_emulator
):
    product, variant = last_unit
    carts = []
    for _ in range(SHOPPERS):
        cart = Cart(SessionStore())
        cart.add(product.pk, 1, variant.pk)
        carts.append(cart)

    outcomes = race(
        SHOPPERS,
        lambda index: checkout.create_checkout(
            carts[index], f"session:racer-{index}", None, CHECKOUT_URLS
        ),
    )

    orders = [outcome for outcome in outcomes if isinstance(outcome, Order)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, checkout.OutOfStock)]
    assert len(orders) == 1
    assert len(refused) == SHOPPERS - 1
    assert all("Signed Print (Framed) is sold out" in error.user_message for error in refused)
    assert Order.objects.filter(stock_hold=Order.StockHold.HELD).count() == 1
    assert stock_of(variant) == (1, 1)


@pytest.fixture
def two_servers(tmp_path, stripe_emulator):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "STRIPE_API_BASE": stripe_emulator.base_url,
    }
    started = []
    for name in ("a", "b"):
        port = free_port()
        log_path = tmp_path / f"gunicorn-{name}.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
                + [f"--bind=127.0.0.1:{port}", "--workers=2", "--threads=4", "--timeout=60"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append((f"http://127.0.0.1:{port}", process, log_path))
    for url, process, log_path in started:
        wait_until_serving(url, process, log_path)
    yield [url for url, _, _ in started]
    for _, process, _ in started:
        process.terminate()
        process.wait(timeout=20)


def shopper_with_in_cart(index: int, product, variant) -> str:
    """A browser's session cookie whose cart holds one unit of the variant."""
    session = SessionStore()
    session[SHOPPER_SESSION_KEY] = f"racer-{index}"
    session[SESSION_KEY] = {line_key(product.pk, variant.pk): 1}
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}; csrftoken={CSRF_TOKEN}"


class KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post_checkout(base_url: str, cookie: str) -> int:
    request = urllib.request.Request(
        f"{base_url}/create-checkout-session/",
        data=b"",
        headers={"Cookie": cookie, "X-CSRFToken": CSRF_TOKEN},
    )
    opener = urllib.request.build_opener(KeepRedirects)
    try:
        with opener.open(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_twenty_shoppers_on_two_servers_racing_for_the_last_unit_one_holds_it(
    last_unit, two_servers
):
    product, variant = last_unit
    cookies = [shopper_with_in_cart(index, product, variant) for index in range(SHOPPERS)]

    answers = race(SHOPPERS, lambda index: post_checkout(two_servers[index % 2], cookies[index]))

    assert sorted(answers) == [303] + [409] * (SHOPPERS - 1)
    assert Order.objects.filter(stock_hold=Order.StockHold.HELD).count() == 1
    assert stock_of(variant) == (1, 1)
