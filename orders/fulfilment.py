"""Staff sending orders out: marking them shipped or delivered, and their internal notes.

Each move is one conditional UPDATE recorded with its event in the same transaction, so two
people shipping the same order at once record one shipment, and the shopper gets one email.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from . import emails
from .fulfilment_models import (
    CARRIER_MAX_LENGTH,
    TRACKING_NUMBER_MAX_LENGTH,
    TRACKING_URL_MAX_LENGTH,
)
from .models import Order, OrderEvent

FulfilmentStatus = Order.FulfilmentStatus


class FulfilmentError(Exception):
    """The order cannot make this move; `user_message` says why, for staff."""

    def __init__(self, user_message: str):
        super().__init__(user_message)
        self.user_message = user_message


def mark_shipped(
    order: Order,
    *,
    carrier: str,
    tracking_number: str = "",
    tracking_url: str = "",
    by: AbstractBaseUser | None,
) -> Order:
    """Record that this paid order went out with this carrier, once; return it as it now is.

    Raises FulfilmentError, changing nothing, for an order that is not paid (refunded,
    cancelled, failed, unpaid) or was shipped already, by someone else a moment ago included,
    or for details longer than the order can keep.
    """
    for label, value, limit in [
        ("The carrier", carrier, CARRIER_MAX_LENGTH),
        ("The tracking number", tracking_number, TRACKING_NUMBER_MAX_LENGTH),
        ("The tracking link", tracking_url, TRACKING_URL_MAX_LENGTH),
    ]:
        if len(value) > limit:
            raise FulfilmentError(f"{label} can be at most {limit} characters long.")
    now = timezone.now()
    with transaction.atomic():
        moved = (
            Order.objects.filter(pk=order.pk)
            .filter(Order.objects.awaiting_shipment_q())
            .update(
                fulfilment_status=FulfilmentStatus.SHIPPED,
                carrier=carrier,
                tracking_number=tracking_number,
                tracking_url=tracking_url,
                shipped_at=now,
                updated_at=now,
            )
        )
        if moved:
            OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.SHIPPED, author=by)
            emails.queue_shipped(order)
    order.refresh_from_db()
    if not moved:
        raise FulfilmentError(order.why_not_shippable() or "This order cannot be shipped.")
    return order


def mark_delivered(order: Order, *, by: AbstractBaseUser | None) -> Order:
    """Record that this shipped order reached the shopper, once; return it as it now is."""
    now = timezone.now()
    with transaction.atomic():
        moved = Order.objects.filter(
            pk=order.pk, fulfilment_status__in=Order.FULFILMENT_SOURCES[FulfilmentStatus.DELIVERED]
        ).update(fulfilment_status=FulfilmentStatus.DELIVERED, delivered_at=now, updated_at=now)
        if moved:
            OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.DELIVERED, author=by)
    order.refresh_from_db()
    if not moved:
        if order.fulfilment_status == FulfilmentStatus.DELIVERED:
            raise FulfilmentError(f"Order {order.reference} is already marked delivered.")
        raise FulfilmentError(
            f"Order {order.reference} has not been shipped: mark it shipped first."
        )
    return order


def add_note(order: Order, text: str, *, by: AbstractBaseUser | None) -> OrderEvent:
    """Keep a note on the order for staff; shoppers never see it."""
    return OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.NOTE, author=by, text=text)
