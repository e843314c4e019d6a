"""The fulfilment side of an order, kept apart from payment: whether it has gone out to the
shopper, the shipment staff recorded, and the order's events (shipped, delivered, notes)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

PAID = "paid"
CARRIER_MAX_LENGTH = 100
TRACKING_NUMBER_MAX_LENGTH = 100
TRACKING_URL_MAX_LENGTH = 500
NOTE_MAX_LENGTH = 2000


class FulfilmentQuerySetMixin:
    """The sets of orders fulfilment asks for (mixed into OrderQuerySet)."""

    @staticmethod
    def awaiting_shipment_q() -> Q:
        """Paid orders nobody has marked shipped yet (a condition, for counts and filters)."""
        return Q(status=PAID, fulfilment_status=OrderFulfilment.FulfilmentStatus.UNFULFILLED)

    def awaiting_shipment(self):
        """What `Order.is_shippable` says yes to, the longest-waiting first."""
        return self.filter(self.awaiting_shipment_q()).order_by("paid_at", "pk")


class OrderFulfilment(models.Model):
    """What an order records about going out to the shopper (Order inherits it)."""

    class FulfilmentStatus(models.TextChoices):
        UNFULFILLED = "unfulfilled", "Not shipped"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"

    # Fulfilment only moves forward, and only from these sources.
    FULFILMENT_SOURCES = {
        FulfilmentStatus.SHIPPED: [FulfilmentStatus.UNFULFILLED],
        FulfilmentStatus.DELIVERED: [FulfilmentStatus.SHIPPED],
    }

    fulfilment_status = models.CharField(
        max_length=16,
        choices=FulfilmentStatus.choices,
        default=FulfilmentStatus.UNFULFILLED,
    )
    carrier = models.CharField(max_length=CARRIER_MAX_LENGTH, blank=True)
    tracking_number = models.CharField(max_length=TRACKING_NUMBER_MAX_LENGTH, blank=True)
    tracking_url = models.URLField("tracking link", max_length=TRACKING_URL_MAX_LENGTH, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_shippable(self) -> bool:
        """One of Order.objects.awaiting_shipment(): paid (refunded in part or not), not shipped.

        Refunded, cancelled, failed and unpaid orders never go out."""
        return self.status == PAID and self.fulfilment_status == self.FulfilmentStatus.UNFULFILLED

    @property
    def is_deliverable(self) -> bool:
        """Shipped and not yet marked delivered."""
        return self.fulfilment_status == self.FulfilmentStatus.SHIPPED

    def why_not_shippable(self) -> str:
        """Why this order cannot be marked shipped, in words for staff; empty if it can."""
        if self.fulfilment_status != self.FulfilmentStatus.UNFULFILLED:
            already = self.get_fulfilment_status_display().lower()
            return f"Order {self.reference} is already {already}."
        if self.status != PAID:
            return (
                f"Order {self.reference} is {self.get_status_display().lower()}: only paid "
                "orders can be shipped."
            )
        return ""


class OrderEvent(models.Model):
    """Something staff did to an order on its way to the shopper, with who and when."""

    class Kind(models.TextChoices):
        SHIPPED = "shipped", "Marked shipped"
        DELIVERED = "delivered", "Marked delivered"
        NOTE = "note", "Note"

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Staff only: shoppers never see an order's events.
    text = models.CharField(max_length=NOTE_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # A second shipment of one order is a bug, whatever raced to record it.
            models.UniqueConstraint(
                fields=["order"], condition=Q(kind="shipped"), name="one_shipment_per_order"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on order {self.order_id}"
