"""Test helpers: the suite's webhook secret, a shopper's checkout and payment, and watching
when the shop calls Stripe."""

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.urls import reverse

from orders import checkout, stripe_gateway
from orders.cart import Cart
from orders.models import Order
from stripe_emulator.testing import EmulatorControl
from stripe_emulator.webhooks import signature_header

WEBHOOK_SECRET = "whsec_test_suite"
CHECKOUT_URLS = checkout.CheckoutUrls(
    success_url="http://testserver/success/?session_id={CHECKOUT_SESSION_ID}",
    cancel_url="http://testserver/cancel/",
)


def post_webhook(client, event: dict, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    body = json.dumps(event).encode()
    return client.post(
        reverse("stripe_webhook"),
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(body, secret, timestamp),
    )


def start_checkout(*lines) -> Order:
    """An order whose Checkout Session is open at Stripe, as a shopper's checkout leaves it."""
    cart = Cart(SessionStore())
    for product, quantity in lines:
        cart.add(product.pk, quantity)
    return checkout.create_checkout(cart, f"session:{uuid.uuid4().hex}", None, CHECKOUT_URLS)


def pay_at_stripe(emulator, order: Order, outcome: str = "paid") -> None:
    """The shopper pays on Stripe's page; no webhook reaches the shop."""
    EmulatorControl(emulator.base_url).complete_session(order.stripe_checkout_session_id, outcome)


@contextmanager
def transactions_open_at_each_stripe_call(monkeypatch) -> Iterator[list[int]]:
    """Yield a list that gets, for every call the shop makes to Stripe (the real call still
    happens), how many transactions the shop had open beyond the test's own."""
    already_open = len(connection.atomic_blocks)
    counts = []
    call = stripe_gateway._call

    def counting_call(*args, **kwargs):
        counts.append(len(connection.atomic_blocks) - already_open)
        return call(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(stripe_gateway, "_call", counting_call)
        yield counts
