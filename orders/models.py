import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from .money import to_cents

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference() -> str:
    """A public order reference that cannot be guessed: about 80 bits of randomness."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(16))


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        REFUNDED = "refunded", "Refunded"

    reference = models.CharField(max_length=16, unique=True, default=new_reference)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    owner_key = models.CharField(
        max_length=80,
        db_index=True,
        help_text="user:<id> for signed-in shoppers, session:<key> for anonymous ones.",
    )
    customer_email = models.EmailField(blank=True)
    currency = models.CharField(max_length=3, default="usd")
    total = models.DecimalField(max_digits=10, decimal_places=2)
    amount_refunded = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    cart_fingerprint = models.CharField(max_length=64)
    checkout_open = models.BooleanField(
        default=True,
        help_text="True while the shopper may still be sent to this order's Checkout page.",
    )
    checkout_expires_at = models.DateTimeField()
    stripe_checkout_session_id = models.CharField(
        max_length=255, unique=True, null=True, blank=True
    )
    stripe_checkout_url = models.URLField(max_length=2000, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner_key"],
                condition=Q(status="pending", checkout_open=True),
                name="one_open_checkout_per_shopper",
            )
        ]
        permissions = [("refund_order", "Can refund orders")]

    def __str__(self):
        return f"Order {self.reference}"

    def get_absolute_url(self):
        return reverse("order_detail", kwargs={"reference": self.reference})

    @property
    def total_in_cents(self) -> int:
        return to_cents(self.total)

    @property
    def is_payment_processing(self) -> bool:
        return self.status == self.Status.PENDING and not self.checkout_open

    def product_quantities(self) -> dict[int | None, int]:
        """What was bought, without prices: product id to quantity."""
        return {item.product_id: item.quantity for item in self.items.all()}

    def is_owned_by(self, owner_key: str) -> bool:
        return secrets.compare_digest(self.owner_key, owner_key)


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(
        "products.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    product_name = models.CharField(max_length=120)
    unit_price = models.DecimalField(max_digits=8, decimal_places=2)
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.quantity} × {self.product_name}"

    @property
    def line_total(self):
        return self.unit_price * self.quantity


class StripeEvent(models.Model):
    class Outcome(models.TextChoices):
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    stripe_event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    order = models.ForeignKey(
        Order,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stripe_events",
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    detail = models.TextField(blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    delivery_count = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["received_at", "pk"]

    def __str__(self):
        return f"{self.type} {self.stripe_event_id}"
