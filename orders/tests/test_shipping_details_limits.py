"""Shipping details longer than an order keeps are refused with a message, from any caller."""

import pytest

from orders import fulfilment
from orders.models import Order, OrderEvent
from orders.tests.shipping import SHIPMENT, paid_order

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "field, limit, message",
    [
        ("carrier", 100, "The carrier can be at most 100 characters long."),
        ("tracking_number", 100, "The tracking number can be at most 100 characters long."),
        ("tracking_url", 500, "The tracking link can be at most 500 characters long."),
    ],
)
def test_a_detail_too_long_to_keep_is_refused_and_the_order_stays_unshipped(field, limit, message):
    order = paid_order()

    with pytest.raises(fulfilment.FulfilmentError) as refused:
        fulfilment.mark_shipped(order, **{**SHIPMENT, field: "x" * (limit + 1)}, by=None)

    assert refused.value.user_message == message
    order.refresh_from_db()
    assert order.fulfilment_status == Order.FulfilmentStatus.UNFULFILLED
    assert not OrderEvent.objects.filter(order=order).exists()
