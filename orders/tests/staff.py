"""What tests of the orders admin share: the refund page, a paid order at Stripe and the events
Stripe emitted for it."""

from django.urls import reverse

from orders import payments
from orders.models import Order
from orders.tests.helpers import pay_at_stripe, start_checkout
from stripe_emulator.testing import stripe_client


def refund_url(order: Order) -> str:
    return reverse("orders:refund", args=[order.pk])


def paid_order(emulator, product, quantity: int = 2) -> Order:
    """An order the shopper paid on Stripe's page, as the success page leaves it."""
    order = start_checkout((product, quantity))
    pay_at_stripe(emulator, order)
    return payments.fulfill_checkout(order)


def stripe_events(emulator, event_type: str) -> list[dict]:
    """Events the emulator emitted, oldest first, as Stripe would post them."""
    listed = stripe_client(emulator.base_url, "sk_test_suite").v1.events.list(
        params={"type": event_type}
    )
    return [event.to_dict() for event in reversed(listed.data)]
