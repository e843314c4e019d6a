"""One browser starting its first checkout several times at once pays for one order at most."""

import json
import threading

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.urls import reverse

from orders.models import Order
from products.models import Product
from stripe_emulator.testing import stripe_client

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 10


@pytest.fixture
def slow_stripe(seeded_shop, stripe_emulator):
    """Stripe answering slowly, so every racing request is in flight at the same moment."""
    stripe_emulator.set_network_faults(delay_seconds=0.5)
    yield stripe_emulator
    stripe_emulator.set_network_faults()


def open_sessions_at_stripe(emulator) -> list[str]:
    sdk = stripe_client(emulator.base_url, "sk_test_suite")
    return [session.id for session in sdk.v1.checkout.sessions.list({"status": "open"}).data]


def race(browser: Client, send) -> list:
    """Send a request from RACERS tabs of one browser (its cookies), all at the same moment."""
    cookies = {name: morsel.value for name, morsel in browser.cookies.items()}
    barrier = threading.Barrier(RACERS)
    answers = []

    def tab():
        client = Client(enforce_csrf_checks=True)
        client.cookies.load(cookies)
        try:
            barrier.wait()
            answers.append(send(client))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tab) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def csrf_token(client: Client) -> str:
    return client.cookies[settings.CSRF_COOKIE_NAME].value


def browser_with_a_power_bank_in_its_cart() -> tuple[Client, str]:
    """A browser that loaded the home page and added to its cart; and its CSRF token."""
    browser = Client(enforce_csrf_checks=True)
    browser.get("/")
    bank = Product.objects.get(slug="portable-power-bank")
    token = csrf_token(browser)
    browser.post(
        reverse("cart_add"), {"product_id": bank.pk, "quantity": 1, "csrfmiddlewaretoken": token}
    )
    return browser, token


def test_ten_first_checkouts_at_once_after_adding_to_cart_open_one_checkout(slow_stripe):
    browser, token = browser_with_a_power_bank_in_its_cart()

    answers = race(
        browser,
        lambda tab: tab.post(reverse("create_checkout_session"), {"csrfmiddlewaretoken": token}),
    )

    order = Order.objects.get()
    assert [answer.status_code for answer in answers] == [303] * RACERS
    assert {answer.url for answer in answers} == {order.stripe_checkout_url}
    assert open_sessions_at_stripe(slow_stripe) == [order.stripe_checkout_session_id]
    assert order.status == Order.Status.PENDING and order.checkout_open
    assert order.reference in browser.get(reverse("order_list")).content.decode()


def test_ten_json_checkouts_at_once_from_a_browser_that_loaded_a_page_open_one_checkout(
    slow_stripe,
):
    browser = Client(enforce_csrf_checks=True)
    browser.get("/")
    watch = Product.objects.get(slug="smart-fitness-watch")
    body = json.dumps({"items": [{"product_id": watch.pk, "quantity": 2}]})
    token = csrf_token(browser)

    answers = race(
        browser,
        lambda tab: tab.post(
            reverse("create_checkout_session"),
            body,
            content_type="application/json",
            HTTP_X_CSRFTOKEN=token,
        ),
    )

    order = Order.objects.get()
    assert [answer.status_code for answer in answers] == [200] * RACERS
    assert {answer.json()["id"] for answer in answers} == {order.stripe_checkout_session_id}
    assert open_sessions_at_stripe(slow_stripe) == [order.stripe_checkout_session_id]
    assert order.status == Order.Status.PENDING and order.checkout_open
    assert order.reference in browser.get(reverse("order_list")).content.decode()


def test_checkouts_racing_from_a_browser_without_a_shopper_cookie_still_open_one_checkout(
    slow_stripe,
):
    """A browser whose cookies predate the shopper cookie (a session and a CSRF cookie only)."""
    browser, token = browser_with_a_power_bank_in_its_cart()
    del browser.cookies["shopper"]

    answers = race(
        browser,
        lambda tab: tab.post(reverse("create_checkout_session"), {"csrfmiddlewaretoken": token}),
    )

    order = Order.objects.get()
    assert {answer.url for answer in answers} == {order.stripe_checkout_url}
    assert len({answer.cookies["shopper"].value for answer in answers}) == 1
    assert open_sessions_at_stripe(slow_stripe) == [order.stripe_checkout_session_id]
