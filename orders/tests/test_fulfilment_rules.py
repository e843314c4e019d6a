"""Which orders can go out, and how shipping and delivery move an order, once each."""

import pytest
from django.contrib.auth.models import User

from orders import fulfilment
from orders.models import Order, OrderEvent
from orders.tests.factories import make_order
from orders.tests.shipping import SHIPMENT, paid_order, partly_refunded_order

pytestmark = pytest.mark.django_db

Status = Order.Status
Fulfilment = Order.FulfilmentStatus


@pytest.fixture
def staff():
    return User.objects.create_user("sam", "sam@example.com", "pw", first_name="Sam")


def test_a_paid_order_waits_for_shipment_until_marked_shipped(staff):
    order = paid_order()
    assert order.fulfilment_status == Fulfilment.UNFULFILLED
    assert order.is_shippable
    assert list(Order.objects.awaiting_shipment()) == [order]

    shipped = fulfilment.mark_shipped(order, **SHIPMENT, by=staff)

    assert shipped.fulfilment_status == Fulfilment.SHIPPED
    assert (shipped.carrier, shipped.tracking_number, shipped.tracking_url) == tuple(
        SHIPMENT.values()
    )
    assert shipped.shipped_at is not None and not shipped.is_shippable
    assert not Order.objects.awaiting_shipment().exists()
    [event] = OrderEvent.objects.filter(order=order)
    assert (event.kind, event.author) == (OrderEvent.Kind.SHIPPED, staff)


def test_orders_awaiting_shipment_come_longest_waiting_first():
    recent = paid_order(paid_hours_ago=1)
    oldest = paid_order(paid_hours_ago=30)
    middle = paid_order(paid_hours_ago=5)
    make_order()
    fulfilment.mark_shipped(paid_order(paid_hours_ago=50), carrier="DHL", by=None)

    assert list(Order.objects.awaiting_shipment()) == [oldest, middle, recent]


def test_a_partly_refunded_paid_order_can_still_be_shipped(staff):
    order = partly_refunded_order()

    assert fulfilment.mark_shipped(order, carrier="DHL", by=staff).is_deliverable


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (Status.REFUNDED, "is refunded: only paid orders can be shipped."),
        (Status.CANCELLED, "is cancelled: only paid orders can be shipped."),
        (Status.PENDING, "is pending: only paid orders can be shipped."),
        (Status.FAILED, "is failed: only paid orders can be shipped."),
    ],
)
def test_refunded_cancelled_or_unpaid_orders_cannot_be_shipped(staff, status, message):
    order = make_order(status=status)

    assert not order.is_shippable
    with pytest.raises(fulfilment.FulfilmentError) as refused:
        fulfilment.mark_shipped(order, **SHIPMENT, by=staff)

    assert refused.value.user_message == f"Order {order.reference} {message}"
    order.refresh_from_db()
    assert (order.fulfilment_status, order.carrier, order.shipped_at) == (
        Fulfilment.UNFULFILLED,
        "",
        None,
    )
    assert not OrderEvent.objects.exists()


def test_an_order_is_shipped_once_and_the_first_shipment_stays(staff):
    order = paid_order()
    fulfilment.mark_shipped(order, **SHIPMENT, by=staff)

    with pytest.raises(fulfilment.FulfilmentError) as refused:
        fulfilment.mark_shipped(order, carrier="FedEx", tracking_number="X", by=staff)

    assert refused.value.user_message == f"Order {order.reference} is already shipped."
    order.refresh_from_db()
    assert (order.carrier, order.tracking_number) == ("UPS", SHIPMENT["tracking_number"])
    assert OrderEvent.objects.filter(kind=OrderEvent.Kind.SHIPPED).count() == 1


def test_only_a_shipped_order_can_be_marked_delivered_and_only_once(staff):
    order = paid_order()
    with pytest.raises(fulfilment.FulfilmentError, match="has not been shipped"):
        fulfilment.mark_delivered(order, by=staff)

    fulfilment.mark_shipped(order, carrier="DHL", by=staff)
    delivered = fulfilment.mark_delivered(order, by=staff)

    assert delivered.fulfilment_status == Fulfilment.DELIVERED
    assert delivered.delivered_at is not None
    with pytest.raises(fulfilment.FulfilmentError, match="already marked delivered"):
        fulfilment.mark_delivered(order, by=staff)
    kinds = list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))
    assert kinds == [OrderEvent.Kind.SHIPPED, OrderEvent.Kind.DELIVERED]


def test_a_shipped_order_refunded_later_stays_shipped_and_can_be_delivered(staff):
    order = paid_order()
    fulfilment.mark_shipped(order, carrier="DHL", by=staff)
    Order.objects.filter(pk=order.pk).update(status=Status.REFUNDED)

    assert fulfilment.mark_delivered(order, by=staff).fulfilment_status == Fulfilment.DELIVERED


def test_a_note_is_kept_with_its_author(staff):
    order = paid_order()

    note = fulfilment.add_note(order, "Customer asked for gift wrap.", by=staff)

    assert (note.order, note.kind, note.author, note.text) == (
        order,
        OrderEvent.Kind.NOTE,
        staff,
        "Customer asked for gift wrap.",
    )
