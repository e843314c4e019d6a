"""Each process keeps one Stripe client, so checkouts reuse its connections instead of opening
new ones; threads share it, and pointing the shop at another Stripe account or address gets a
client of its own."""

import threading

import pytest
from django.db import connections
from django.test import Client

from orders import stripe_gateway
from orders.models import Order
from orders.tests.helpers import add_to_cart, check_out

pytestmark = pytest.mark.django_db(transaction=True)


def shopper_checks_out(product) -> int:
    shopper = Client()
    add_to_cart(shopper, product)
    return check_out(shopper).status_code


def assert_every_order_has_its_open_session(sdk, count):
    orders = Order.objects.all()
    assert len(orders) == count
    for order in orders:
        session = sdk.v1.checkout.sessions.retrieve(order.stripe_checkout_session_id)
        assert session.status == "open"
        assert session.client_reference_id == order.reference


def test_checkouts_one_after_another_go_through_the_same_client_until_stripe_moves(
    shop, sdk, settings, stripe_emulator
):
    assert shopper_checks_out(shop["portable-power-bank"]) == 303
    client = stripe_gateway._client()

    assert shopper_checks_out(shop["portable-power-bank"]) == 303
    assert stripe_gateway._client() is client

    settings.STRIPE_API_BASE = stripe_emulator.base_url + "/"
    assert stripe_gateway._client() is not client
    assert shopper_checks_out(shop["wireless-bluetooth-headphones"]) == 303
    assert_every_order_has_its_open_session(sdk, 3)


def test_checkouts_in_several_threads_share_the_client_and_each_gets_its_session(shop, sdk):
    statuses, clients = [], []
    barrier = threading.Barrier(4)

    def worker():
        try:
            barrier.wait()
            statuses.append(shopper_checks_out(shop["portable-power-bank"]))
            clients.append(stripe_gateway._client())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [303] * 4
    assert len({id(client) for client in clients}) == 1
    assert_every_order_has_its_open_session(sdk, 4)
