"""What tests of fulfilment share: paid orders waiting to go out and the admin's fulfilment URLs."""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from orders.tests.factories import make_order


def paid_order(paid_hours_ago: float = 1, **fields) -> Order:
    """An order Stripe reported paid this long ago, not shipped yet."""
    fields.setdefault("payment_intent_id", "pi_test_paid")
    order = make_order(status=Order.Status.PAID, checkout_open=False, **fields)
    paid_at = timezone.now() - timedelta(hours=paid_hours_ago)
    Order.objects.filter(pk=order.pk).update(paid_at=paid_at, created_at=paid_at)
    order.refresh_from_db()
    return order


def partly_refunded_order() -> Order:
    return paid_order(amount_refunded=Decimal("10.00"))


def ship_url(order_or_pk) -> str:
    return reverse("orders:ship", args=[getattr(order_or_pk, "pk", order_or_pk)])


def deliver_url(order: Order) -> str:
    return reverse("orders:deliver", args=[order.pk])


def note_url(order_or_pk) -> str:
    return reverse("orders:note", args=[getattr(order_or_pk, "pk", order_or_pk)])


def packing_slip_url(order_or_pk) -> str:
    return reverse("orders:packing_slip", args=[getattr(order_or_pk, "pk", order_or_pk)])


def bulk_ship_url(*orders: Order) -> str:
    ids = "&".join(f"id={order.pk}" for order in orders)
    return f"{reverse('wagtail_bulk_action', args=['orders', 'order', 'ship'])}?{ids}"


SHIPMENT = {
    "carrier": "UPS",
    "tracking_number": "1Z999AA10123456784",
    "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
}
