import functools
import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import F, Q
from django.db.models.functions import Cast, Coalesce
from django.urls import reverse
from django.utils import timezone
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import register_setting
from wagtail.models import Orderable, Site

from products import stock
from products.models import StockLevel, validate_tax_code
from shop.models import CachedSiteSetting
from shop.prepared_statements import (
    execute_prepared,
    model_from_row,
    selected_columns,
    text_literals,
)

from . import stripe_gateway
from .fulfilment_models import (
    FulfilmentQuerySetMixin,
    OrderEvent,  # noqa: F401 (the app's models are all read from here)
    OrderFulfilment,
)
from .money import from_cents, to_cents

logger = logging.getLogger(__name__)

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# A checkout this close to its expiry is not offered again: the shopper could not finish paying.
EXPIRING_WITHIN = timedelta(minutes=2)
# An unpaid checkout this old is worth a look for staff: Stripe Checkout pages last 30 minutes.
LONG_PENDING_AFTER = timedelta(hours=1)
# seed_shop --demo-orders gives its sample orders Checkout Session ids Stripe never issued.
DEMO_CHECKOUT_SESSION_PREFIX = "cs_test_demo_"


def line_key(product_id: int | None, variant_id: int | None = None) -> str:
    """How a cart names a line: the product's id, with the variant's after a colon."""
    return str(product_id) if variant_id is None else f"{product_id}:{variant_id}"


def new_reference() -> str:
    """A public order reference that cannot be guessed: about 80 bits of randomness."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(16))


class OrderQuerySet(FulfilmentQuerySetMixin, models.QuerySet):
    """The sets of orders the shop asks for, each defined here once."""

    @staticmethod
    def needs_review_q() -> Q:
        """Orders with a reason for staff to look at them that nobody has marked reviewed yet
        (a condition, for counts and filters). Reasons are only ever added, so any text beyond
        what was reviewed is a new reason."""
        return ~Q(review_reasons="") & ~Q(review_reasons=F("reviewed_reasons"))

    @staticmethod
    def pending_for_over_an_hour_q(now: datetime) -> Q:
        """Orders still waiting for payment long after their Checkout page should have closed."""
        return Q(status=Order.Status.PENDING, created_at__lt=now - LONG_PENDING_AFTER)

    @staticmethod
    def demo_q() -> Q:
        """Sample orders made by seed_shop --demo-orders: Stripe has never heard of them."""
        return Q(stripe_checkout_session_id__startswith=DEMO_CHECKOUT_SESSION_PREFIX)

    def demo(self) -> "OrderQuerySet":
        return self.filter(self.demo_q())

    def owned_by(self, *owner_keys: str) -> "OrderQuerySet":
        return self.filter(owner_key__in=owner_keys)

    def placed(self) -> "OrderQuerySet":
        """What `Order.is_abandoned_checkout` says no to: the orders a shopper placed."""
        return self.exclude(status=Order.Status.CANCELLED)

    def open_checkouts(self) -> "OrderQuerySet":
        """Pending orders whose Checkout page the shopper may still be sent to."""
        return self.filter(status=Order.Status.PENDING, checkout_open=True)

    def overdue_checkouts(self, now: datetime) -> "OrderQuerySet":
        """Open checkouts past the time the shop gave the shopper: to be closed."""
        return self.open_checkouts().filter(checkout_expires_at__lte=now)

    def pending_for_over_an_hour(self, now: datetime) -> "OrderQuerySet":
        return self.filter(self.pending_for_over_an_hour_q(now))

    def needing_review(self) -> "OrderQuerySet":
        return self.filter(self.needs_review_q())

    def refundable(self) -> "OrderQuerySet":
        """The orders `Order.is_refundable` says yes to, as one query."""
        cents = models.DecimalField(max_digits=16, decimal_places=2)
        charge_known = Q(charged_currency=F("currency")) | Q(
            charged_currency="", charged_total=None
        )
        return (
            self.filter(status=Order.Status.PAID)
            .exclude(stripe_payment_intent_id="")
            .filter(charge_known)
            .alias(
                charged=Coalesce(Cast("charged_total", cents), F("total") * 100, output_field=cents)
            )
            .filter(charged__gt=F("amount_refunded") * 100)
        )

    def cancel(self, now: datetime | None = None) -> int:
        """Cancel the pending orders of this set, close their checkouts and release the stock
        they hold; return how many were cancelled."""
        with transaction.atomic():
            # Locked (in a fixed order) so a payment applied at this moment waits, then sees
            # the order cancelled and its hold released.
            pending = list(
                self.filter(status=Order.Status.PENDING)
                .select_for_update()
                .order_by("pk")
                .values_list("pk", "stock_hold")
            )
            if not pending:
                return 0
            held = [pk for pk, stock_hold in pending if stock_hold == Order.StockHold.HELD]
            cancelled = Order.objects.filter(pk__in=[pk for pk, _ in pending]).update(
                status=Order.Status.CANCELLED,
                checkout_open=False,
                updated_at=now or timezone.now(),
            )
            if held:
                Order.objects.filter(pk__in=held).update(stock_hold=Order.StockHold.RELEASED)
                stock.release(OrderItem.held_units(order__in=held))
            return cancelled


class Order(OrderFulfilment, models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        REFUNDED = "refunded", "Refunded"

    class StockHold(models.TextChoices):
        NONE = "", "Nothing held"
        HELD = "held", "Held"
        RELEASED = "released", "Released"
        SOLD = "sold", "Sold"

    # A paid order never goes back; these are the only moves an order can make, from these sources.
    ALLOWED_SOURCES = {
        Status.PAID: [Status.PENDING, Status.CANCELLED],
        Status.FAILED: [Status.PENDING],
        Status.CANCELLED: [Status.PENDING],
        Status.REFUNDED: [Status.PAID],
    }

    reference = models.CharField(max_length=16, default=new_reference)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    owner_key = models.CharField(
        max_length=80,
        help_text="user:<id> for signed-in shoppers, session:<key> for anonymous ones.",
    )
    # Text, not an EmailField: whatever address the shopper typed on Stripe's page is kept.
    customer_email = models.TextField(blank=True)
    currency = models.CharField(max_length=3, default="usd")
    total = models.DecimalField(max_digits=10, decimal_places=2)
    # Never more than Stripe charged, which has at most twelve digits.
    amount_refunded = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    charged_currency = models.CharField(
        max_length=3, blank=True, help_text="The currency Stripe reported charging in."
    )
    charged_subtotal = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="Stripe's amount_subtotal, in the smallest unit of the charged currency.",
    )
    charged_total = models.PositiveBigIntegerField(
        "charged by Stripe",
        null=True,
        blank=True,
        help_text="Stripe's amount_total, in the smallest unit of the charged currency.",
    )
    # What Stripe settled beyond the items, in the smallest unit of the charged currency.
    charged_shipping = models.PositiveBigIntegerField(null=True, blank=True)
    charged_discount = models.PositiveBigIntegerField(null=True, blank=True)
    charged_tax = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="All tax Stripe computed, including tax inside prices."
    )
    charged_tax_included = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The part of the tax already inside inclusive prices."
    )
    shipping_rate_name = models.CharField(max_length=100, blank=True)
    promotion_code = models.CharField(max_length=100, blank=True)
    # The shipping address and phone the shopper gave on Stripe's page.
    shipping_name = models.CharField(max_length=255, blank=True)
    shipping_line1 = models.CharField("address line 1", max_length=255, blank=True)
    shipping_line2 = models.CharField("address line 2", max_length=255, blank=True)
    shipping_city = models.CharField("city", max_length=255, blank=True)
    shipping_postal_code = models.CharField("postal code", max_length=40, blank=True)
    shipping_state = models.CharField("state or region", max_length=255, blank=True)
    shipping_country = models.CharField("country", max_length=2, blank=True)
    shipping_phone = models.CharField("phone", max_length=40, blank=True)
    review_reasons = models.TextField(
        blank=True, help_text="Why staff should look at this order, one reason a line."
    )
    reviewed_reasons = models.TextField(
        blank=True, help_text="The reasons staff had read when they last marked it reviewed."
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    cart_fingerprint = models.CharField(max_length=64)
    checkout_open = models.BooleanField(
        default=True,
        help_text="True while the shopper may still be sent to this order's Checkout page.",
    )
    cart_settled = models.BooleanField(
        default=False,
        help_text="True once the shopper's cart was emptied of what this order bought, or was "
        "found changed since: a payment only a webhook saw is settled on the next cart visit.",
    )
    checkout_expires_at = models.DateTimeField()
    # NULL until Stripe gives the order a session: many orders may lack one under the unique
    # constraint, where many blanks would collide.
    stripe_checkout_session_id = models.CharField(  # noqa: DJ001
        max_length=255, null=True, blank=True
    )
    stripe_checkout_url = models.TextField(blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    stock_hold = models.CharField(
        max_length=8,
        choices=StockHold.choices,
        default=StockHold.NONE,
        blank=True,
        help_text="What became of the tracked stock this checkout held.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        # Declared here rather than on their fields, which on PostgreSQL would each add a second
        # index for LIKE that no query uses and every payment would write to.
        indexes = [
            # A shopper's orders newest first, as every page they open lists the latest few.
            models.Index(
                fields=["owner_key", "-created_at", "-id"], name="order_owner_newest_first"
            ),
            models.Index(fields=["status"], name="order_status"),
            models.Index(fields=["fulfilment_status"], name="order_fulfilment_status"),
            models.Index(fields=["shipping_country"], name="order_shipping_country"),
            models.Index(fields=["stripe_payment_intent_id"], name="order_payment_intent"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="order_reference_unique"),
            models.UniqueConstraint(
                fields=["stripe_checkout_session_id"], name="order_checkout_session_unique"
            ),
            models.UniqueConstraint(
                fields=["owner_key"],
                condition=Q(status="pending", checkout_open=True),
                name="one_open_checkout_per_shopper",
            ),
        ]
        permissions = [
            ("refund_order", "Can refund orders"),
            ("fulfil_order", "Can ship orders and add notes to them"),
        ]

    def __str__(self):
        return f"Order {self.reference}"

    def get_absolute_url(self):
        return reverse("order_detail", kwargs={"reference": self.reference})

    @property
    def total_in_cents(self) -> int:
        return to_cents(self.total)

    @property
    def has_shipping_address(self) -> bool:
        return bool(self.shipping_line1 or self.shipping_city or self.shipping_country)

    @property
    def shipping_address_lines(self) -> list[str]:
        """The shipping address as it is written on a parcel, one line each."""
        city = " ".join(part for part in (self.shipping_postal_code, self.shipping_city) if part)
        lines = [self.shipping_line1, self.shipping_line2, city, self.shipping_state]
        return [line for line in (*lines, self.shipping_country) if line]

    @property
    def settled_breakdown(self) -> list[tuple[str, Decimal, bool]]:
        """What Stripe charged line by line (items, discount, shipping, tax) as (label, amount,
        taken off), for receipts; empty for items alone, or until Stripe's figures are recorded
        in the order's currency."""
        if self.charged_subtotal is None or self.charged_currency != self.currency:
            return []
        rows = [("Items", from_cents(self.charged_subtotal), False)]
        if self.charged_discount:
            code = f" ({self.promotion_code})" if self.promotion_code else ""
            rows.append((f"Discount{code}", from_cents(self.charged_discount), True))
        if self.charged_shipping is not None and (self.charged_shipping or self.shipping_rate_name):
            rows.append(
                (
                    f"Shipping ({self.shipping_rate_name})"
                    if self.shipping_rate_name
                    else "Shipping",
                    from_cents(self.charged_shipping),
                    False,
                )
            )
        added_tax = (self.charged_tax or 0) - (self.charged_tax_included or 0)
        if added_tax > 0:
            rows.append(("Tax", from_cents(added_tax), False))
        # Items alone are the total already shown.
        return rows if len(rows) > 1 else []

    @property
    def tax_included_in_prices(self) -> Decimal | None:
        """Tax already inside the prices charged, shown as a note beside the total."""
        return from_cents(self.charged_tax_included) if self.charged_tax_included else None

    def _in_order_currency(self, cents: int | None) -> Decimal | None:
        if cents is None or self.charged_currency != self.currency:
            return None
        return from_cents(cents)

    # Stripe's figures as amounts of the order's currency, for pages and exports; None when
    # Stripe reported none the shop could read, or charged in another currency.
    @property
    def items_charged(self) -> Decimal | None:
        return self._in_order_currency(self.charged_subtotal)

    @property
    def discount_charged(self) -> Decimal | None:
        return self._in_order_currency(self.charged_discount)

    @property
    def shipping_charged(self) -> Decimal | None:
        return self._in_order_currency(self.charged_shipping)

    @property
    def tax_charged(self) -> Decimal | None:
        """The tax Stripe added on top of the prices."""
        if self.charged_tax is None:
            return None
        return self._in_order_currency(self.charged_tax - (self.charged_tax_included or 0))

    @property
    def tax_included_charged(self) -> Decimal | None:
        return self._in_order_currency(self.charged_tax_included)

    @property
    def total_charged(self) -> Decimal | None:
        return self._in_order_currency(self.charged_total)

    @property
    def has_open_checkout(self) -> bool:
        """One of Order.objects.open_checkouts(): the shopper may still be sent to pay."""
        return self.status == self.Status.PENDING and self.checkout_open

    @property
    def is_payment_processing(self) -> bool:
        return self.status == self.Status.PENDING and not self.checkout_open

    @property
    def is_abandoned_checkout(self) -> bool:
        """A checkout the shopper left unpaid, closed since: not an order they placed."""
        return self.status == self.Status.CANCELLED

    @property
    def needs_review(self) -> bool:
        """One of Order.objects.needing_review()."""
        return bool(self.review_reasons) and self.review_reasons != self.reviewed_reasons

    @property
    def reasons_since_review(self) -> list[str]:
        """The reasons flagged after staff last marked the order reviewed (all, if never)."""
        reviewed = set(self.reviewed_reasons.splitlines())
        return [reason for reason in self.review_reasons.splitlines() if reason not in reviewed]

    @property
    def charged_cents(self) -> int | None:
        """What Stripe charged, in cents of the order's currency; None if that is unknowable.

        Orders paid before Stripe's figures were kept, and unreadable totals, count the total.
        """
        recorded_nothing = not self.charged_currency and self.charged_total is None
        if self.charged_currency != self.currency and not recorded_nothing:
            return None
        return self.total_in_cents if self.charged_total is None else self.charged_total

    def flag_for_review(self, reason: str) -> bool:
        """Note why staff should look at this order (the caller saves it); say if it is new."""
        reasons = self.review_reasons.splitlines()
        if reason in reasons:
            return False
        self.review_reasons = "\n".join([*reasons, reason])
        return True

    @property
    def is_checkout_settled(self) -> bool:
        """Stripe's word on this checkout is final: paid, failed or refunded.

        A cancelled order is not settled: Stripe can still complete a session at the moment it
        expires, and the order then moves on to paid.
        """
        return self.status in (self.Status.PAID, self.Status.FAILED, self.Status.REFUNDED)

    def line_quantities(self) -> dict[str, int]:
        """What was bought, without prices: cart line key to quantity."""
        return {
            line_key(item.product_id, item.variant_id): item.quantity for item in self.items.all()
        }

    def is_owned_by(self, owner_key: str) -> bool:
        return secrets.compare_digest(self.owner_key, owner_key)

    @property
    def checkout_expires_soon(self) -> bool:
        """Too close to its expiry to send the shopper to: they could not finish paying."""
        return self.checkout_expires_at <= timezone.now() + EXPIRING_WITHIN

    @property
    def is_open_checkout(self) -> bool:
        """One of Order.objects.open_checkouts()."""
        return self.status == self.Status.PENDING and self.checkout_open

    def is_checkout_overdue(self, now: datetime) -> bool:
        """One of Order.objects.overdue_checkouts(now)."""
        return self.is_open_checkout and self.checkout_expires_at <= now

    @property
    def amount_refundable(self) -> Decimal:
        """What Stripe can still give back of what it charged, as far as the shop has heard."""
        if self.charged_cents is None:
            # Charged in another currency: amounts typed here in dollars would be wrong there.
            return Decimal("0")
        return from_cents(self.charged_cents) - self.amount_refunded

    @property
    def is_refundable(self) -> bool:
        """Paid, with a payment Stripe can refund, and something of it left to give back."""
        return (
            self.status == self.Status.PAID
            and bool(self.stripe_payment_intent_id)
            and self.amount_refundable > 0
        )

    def can_move_to(self, status: str) -> bool:
        return self.status != status and self.status in self.ALLOWED_SOURCES.get(status, ())

    def move_to(self, status: str) -> bool:
        """Change the status of this order, locked by the caller, if the move is allowed; say
        whether it moved. The caller saves the order and, in the same transaction, queues what
        the move calls for (the confirmation email)."""
        if not self.can_move_to(status):
            return False
        self._log_move(self.status, status)
        self._settle_stock(status)
        self.status = status
        if status == self.Status.PAID:
            self.paid_at = timezone.now()
        return True

    @classmethod
    def pay(
        cls, checkout_session_id: str, recorded: dict, filled_if_blank: dict, close_checkout: bool
    ) -> "Order | None":
        """Move the order of this Checkout Session to paid, if it may move, with the values in
        `recorded` and those of `filled_if_blank` where it has none; None if it may not move.

        One conditional UPDATE, which also locks the order until the caller's transaction ends;
        the stock its checkout held is sold in the same transaction. The caller queues what the
        move calls for (the confirmation email), as after move_to.
        """
        if connection.vendor != "postgresql":
            return cls._pay_with_the_orm(
                checkout_session_id, recorded, filled_if_blank, close_checkout
            )
        paying, params = cls.paying_ctes(
            checkout_session_id, recorded, filled_if_blank, close_checkout
        )
        with connection.cursor() as cursor:
            cursor.execute(f"WITH {paying} SELECT * FROM paid", params)
            row = cursor.fetchone()
        if row is None:
            return None
        previous_status, previous_hold, held, *values = row
        order = cls.from_paid(values)
        order._log_move(previous_status, cls.Status.PAID)
        order.stock_hold = previous_hold
        stored_reasons = order.review_reasons
        order._settle_stock(
            cls.Status.PAID, {int(level): units for level, units in (held or {}).items()}
        )
        if order.review_reasons != stored_reasons:
            order.save(update_fields=["review_reasons"])
        return order

    @classmethod
    def paying_ctes(
        cls,
        checkout_session_id: str,
        recorded: dict,
        filled_if_blank: dict,
        close_checkout: bool,
        condition: str = "",
        condition_params: tuple = (),
        returning: tuple[str, ...] | None = None,
    ) -> tuple[str, list]:
        """The common table expressions of Order.pay and their parameters: `payable` locks the
        order if it may move to paid (and meets `condition`, SQL on its row), `paid` moves it
        and returns its status and stock hold before the move, what its checkout held (stock
        level id to units) and then the columns in `returning`, by default every column, as
        from_paid reads them."""
        sql, recorded_fields = _paying_sql(
            tuple(recorded), tuple(filled_if_blank), close_checkout, condition, returning
        )
        # The connection itself: each look through the `connection` proxy costs more than a
        # value's preparation.
        database = connections[DEFAULT_DB_ALIAS]
        return sql, [
            checkout_session_id,
            *condition_params,
            *[
                field.get_db_prep_save(value, database)
                for field, value in zip(recorded_fields, recorded.values(), strict=True)
            ],
            *filled_if_blank.values(),
        ]

    @classmethod
    def held_stock_sold_ctes(cls) -> str:
        """Common table expressions selling what the checkout of the order in `paid` held
        (paying_ctes), as stock.sell_held does: the stock levels are locked in the order of
        their ids, as every stock change takes them. What is available does not change."""
        return _held_stock_sold_sql()

    @classmethod
    def from_paid(cls, values: list) -> "Order":
        """The order from the columns `paid` returns after its first three (paying_ctes)."""
        return cls.from_db(
            connection.alias, [field.attname for field in cls._meta.concrete_fields], values
        )

    @classmethod
    def _pay_with_the_orm(
        cls, checkout_session_id: str, recorded: dict, filled_if_blank: dict, close_checkout: bool
    ) -> "Order | None":
        """Order.pay in portable steps, for SQLite in local runs: lock, look, move and save."""
        order = (
            cls.objects.select_for_update()
            .filter(
                stripe_checkout_session_id=checkout_session_id,
                status__in=cls.ALLOWED_SOURCES[cls.Status.PAID],
            )
            .first()
        )
        if order is None:
            return None
        for name, value in recorded.items():
            setattr(order, name, value)
        for name, value in filled_if_blank.items():
            if not getattr(order, name):
                setattr(order, name, value)
        if close_checkout:
            order.checkout_open = False
        order.move_to(cls.Status.PAID)
        order.save()
        return order

    def _log_move(self, source: str, status: str, stripe_event_id: str | None = None) -> None:
        """One line a move; a move a Stripe event made names the event."""
        logger.info(
            "Order %s: %s -> %s (Checkout Session %s%s)",
            self.reference,
            source,
            status,
            self.stripe_checkout_session_id,
            f", Stripe event {stripe_event_id}" if stripe_event_id else "",
            extra={
                "order_reference": self.reference,
                "checkout_session_id": self.stripe_checkout_session_id,
                "stripe_event_id": stripe_event_id,
            },
        )

    def _settle_stock(self, status: str, held_units: dict[int, int] | None = None) -> None:
        """Release the checkout's hold when it closes unpaid, sell it when paid: once each, in
        the caller's transaction, as the order is locked. A payment after the hold was released
        sells the units anyway, since the money is taken, and flags the order if they were gone.
        `held_units` are the order's, when the caller has read them already."""
        selling = status == self.Status.PAID and self.stock_hold in (
            self.StockHold.HELD,
            self.StockHold.RELEASED,
        )
        releasing = self.stock_hold == self.StockHold.HELD and status in (
            self.Status.FAILED,
            self.Status.CANCELLED,
        )
        if not (selling or releasing):
            return
        if held_units is None:
            held_units = OrderItem.held_units(order=self)
        if self.stock_hold == self.StockHold.HELD and status == self.Status.PAID:
            stock.sell_held(held_units)
            self.stock_hold = self.StockHold.SOLD
        elif self.stock_hold == self.StockHold.HELD and status in (
            self.Status.FAILED,
            self.Status.CANCELLED,
        ):
            stock.release(held_units)
            self.stock_hold = self.StockHold.RELEASED
        elif self.stock_hold == self.StockHold.RELEASED and status == self.Status.PAID:
            for level in stock.sell_released(held_units):
                self._flag_oversold(level)
            self.stock_hold = self.StockHold.SOLD

    def _flag_oversold(self, level) -> None:
        reason = (
            f"Oversold: paid after its stock hold was released, when {level} had too few "
            f"left ({level.available} available now). Check the stock before shipping."
        )
        if self.flag_for_review(reason):
            logger.error(
                "Order %s needs review: %s",
                self.reference,
                reason,
                extra={
                    "order_reference": self.reference,
                    "checkout_session_id": self.stripe_checkout_session_id,
                },
            )


@functools.lru_cache(maxsize=64)
def _paying_sql(
    recorded: tuple[str, ...],
    filled_if_blank: tuple[str, ...],
    close_checkout: bool,
    condition: str,
    returning: tuple[str, ...] | None,
) -> tuple[str, tuple[models.Field, ...]]:
    """The text of Order.paying_ctes for one shape of statement, the same string each time (it
    names the prepared statement), and the fields of `recorded`, in order. The statuses are
    written in, and the times are the database's: a payment's parameters are only what Stripe
    reported."""
    quote = connection.ops.quote_name
    table = quote(Order._meta.db_table)
    recorded_fields = tuple(Order._meta.get_field(name) for name in recorded)
    assignments = [f"{quote(field.column)} = %s" for field in recorded_fields]
    assignments.append(f"status = {text_literals(Order.Status.PAID)}")
    assignments.append("paid_at = statement_timestamp()")
    for name in filled_if_blank:
        column = quote(Order._meta.get_field(name).column)
        assignments.append(f"{column} = CASE WHEN o.{column} = '' THEN %s ELSE o.{column} END")
    if close_checkout:
        assignments.append("checkout_open = false")
    # Whatever the checkout held, or held and released, is sold now (_settle_stock).
    assignments.append(
        "stock_hold = CASE WHEN o.stock_hold = '' THEN '' "
        f"ELSE {text_literals(Order.StockHold.SOLD)} END"
    )
    assignments.append("updated_at = statement_timestamp()")
    # What the checkout held, read in the same statement (OrderItem.held_units), only when it
    # held or had held something: _settle_stock has nothing to sell otherwise.
    holding = text_literals(Order.StockHold.HELD, Order.StockHold.RELEASED)
    held_units = (
        f"CASE WHEN payable.stock_hold IN ({holding}) THEN "
        "(SELECT json_object_agg(stock_level_id, units) FROM "
        "(SELECT stock_level_id, SUM(quantity) AS units "
        f"FROM {quote(OrderItem._meta.db_table)} "
        "WHERE order_id = o.id AND stock_level_id IS NOT NULL GROUP BY stock_level_id) held) END"
    )
    if returning is None:
        returning = tuple(field.column for field in Order._meta.concrete_fields)
    columns = ", ".join(f"o.{quote(column)}" for column in returning)
    sources = text_literals(*Order.ALLOWED_SOURCES[Order.Status.PAID])
    sql = (
        f"payable AS (SELECT id, status, stock_hold FROM {table} "
        f"WHERE stripe_checkout_session_id = %s AND status IN ({sources}) {condition} "
        "FOR UPDATE), "
        f"paid AS (UPDATE {table} AS o SET {', '.join(assignments)} FROM payable "
        "WHERE o.id = payable.id RETURNING payable.status AS previous_status, "
        f"payable.stock_hold AS previous_hold, {held_units} AS held_units, {columns})"
    )
    return sql, recorded_fields


@functools.cache
def _held_stock_sold_sql() -> str:
    """The text of Order.held_stock_sold_ctes."""
    levels = connection.ops.quote_name(StockLevel._meta.db_table)
    return (
        "held_stock AS (SELECT unit.key::bigint AS id, unit.value::text::integer AS units "
        "FROM paid CROSS JOIN LATERAL json_each(paid.held_units) AS unit "
        f"WHERE paid.previous_hold = {text_literals(Order.StockHold.HELD)}), "
        f"levels AS (SELECT id FROM {levels} WHERE id IN (SELECT id FROM held_stock) "
        "ORDER BY id FOR UPDATE), "
        f"sold AS (UPDATE {levels} AS level SET on_hand = level.on_hand - held_stock.units, "
        "held = level.held - held_stock.units FROM held_stock JOIN levels USING (id) "
        "WHERE level.id = held_stock.id RETURNING level.id)"
    )


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
    variant = models.ForeignKey(
        "products.ProductVariant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Copied, so the order reads the same after the variant is edited or deleted.
    sku = models.CharField("SKU", max_length=64, blank=True)
    options = models.CharField(max_length=120, blank=True)
    stock_level = models.ForeignKey(
        "products.StockLevel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Where this line's units were held; empty when their stock is not tracked.",
    )
    unit_price = models.DecimalField(max_digits=8, decimal_places=2)
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.quantity} × {self.display_name}"

    @property
    def display_name(self) -> str:
        return f"{self.product_name} ({self.options})" if self.options else self.product_name

    @classmethod
    def held_units(cls, **order_lookup) -> dict[int, int]:
        """Units held per stock level by the lines of the orders named."""
        units: dict[int, int] = {}
        lines = cls.objects.filter(stock_level__isnull=False, **order_lookup)
        for level_id, quantity in lines.values_list("stock_level_id", "quantity"):
            units[level_id] = units.get(level_id, 0) + quantity
        return units

    @property
    def line_total(self):
        return self.unit_price * self.quantity


class StripeEvent(models.Model):
    class Outcome(models.TextChoices):
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    stripe_event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
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
        # As on Order: no second index for LIKE, which every delivery would write to.
        indexes = [models.Index(fields=["type"], name="stripe_event_type")]
        constraints = [
            models.UniqueConstraint(fields=["stripe_event_id"], name="stripe_event_id_unique")
        ]

    def __str__(self):
        return f"{self.type} {self.stripe_event_id}"

    @classmethod
    def storable_id(cls, event_id: str) -> str:
        """The event's id, or for an id too long for the column its digest, just as unique."""
        limit = cls._meta.get_field("stripe_event_id").max_length
        if len(event_id) <= limit:
            return event_id
        return "sha256:" + hashlib.sha256(event_id.encode()).hexdigest()

    @classmethod
    def storable_type(cls, event_type: str) -> str:
        """The event's type, cut to the column; the payload keeps it whole."""
        return event_type[: cls._meta.get_field("type").max_length]


class OrderEmailQuerySet(models.QuerySet):
    def claimable(self, now: datetime, lease: timedelta) -> "OrderEmailQuerySet":
        """Emails waiting to be sent, and those whose sender went silent for longer than the
        lease (a worker killed while talking to the mail server)."""
        return self.filter(
            Q(status=OrderEmail.Status.PENDING)
            | Q(status=OrderEmail.Status.SENDING, claimed_at__lt=now - lease)
        )

    def failing(self) -> "OrderEmailQuerySet":
        """Emails given up on, or the mail server refused at least once and not yet sent."""
        return self.filter(
            Q(status=OrderEmail.Status.FAILED)
            | Q(status=OrderEmail.Status.PENDING) & ~Q(last_error="")
        )


class OrderEmail(models.Model):
    """One email to a shopper about an order, written in the transaction that decided it and
    sent by a background task: at most one per order, reason and key."""

    class Reason(models.TextChoices):
        CONFIRMATION = "confirmation", "Order confirmed"
        REFUND = "refund", "Refund"
        SHIPPED = "shipped", "Order shipped"
        PAYMENT_FAILED = "payment_failed", "Payment failed"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Not sent"
        FAILED = "failed", "Failed"

    # Indexed first by the unique constraint below: a second index would only cost every write.
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="emails", db_index=False
    )
    reason = models.CharField(max_length=32, choices=Reason.choices)
    key = models.CharField(
        max_length=64,
        blank=True,
        help_text="Tells apart emails of a reason that can repeat: for a refund, the amount "
        "refunded so far in cents.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OrderEmailQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "reason", "key"], name="one_email_per_order_reason_and_key"
            )
        ]

    def __str__(self):
        return f"{self.get_reason_display()} email for order {self.order_id}"


class SavedCart(models.Model):
    """A signed-in shopper's cart, kept with the account so every browser they sign in on has it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_cart"
    )
    lines = models.JSONField(
        default=list,
        help_text="[product id, quantity] pairs (with the variant's id third when there is "
        "one), in the order they were added.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Cart of {self.user}"


def validate_shipping_countries(value: str) -> None:
    codes = [code.strip().upper() for code in value.split(",") if code.strip()]
    unknown = sorted(set(codes) - stripe_gateway.shipping_countries())
    if unknown:
        raise ValidationError(
            "Stripe cannot ship to %(codes)s: use two-letter ISO country codes such as US, GB.",
            params={"codes": ", ".join(unknown)},
        )


@register_setting(icon="cogs")
class CheckoutSettings(CachedSiteSetting, ClusterableModel):
    """How Stripe Checkout collects the address, offers shipping, computes tax and takes
    promotion codes, as staff set it in the admin."""

    cache_prefix = "checkout-settings"

    shipping_countries = models.CharField(
        "countries shipped to",
        max_length=1000,
        blank=True,
        validators=[validate_shipping_countries],
        help_text="Two-letter country codes separated by commas, for example US, CA, GB. "
        "Leave empty to ask for no shipping address.",
    )
    collect_phone = models.BooleanField(
        "ask for a phone number", default=False, help_text="For the carrier, on Stripe's page."
    )
    allow_promotion_codes = models.BooleanField(
        "accept promotion codes",
        default=False,
        help_text="Shoppers can type a promotion code created in the Stripe dashboard.",
    )
    stripe_tax = models.BooleanField(
        "calculate tax with Stripe Tax",
        default=False,
        help_text="Stripe works out the tax from the shipping or billing address. Needs Stripe "
        "Tax set up in the Stripe dashboard.",
    )
    default_tax_code = models.CharField(
        max_length=13,
        blank=True,
        validators=[validate_tax_code],
        help_text="Stripe's tax code for products without their own, for example "
        "txcd_99999999 (general tangible goods). Empty: the Stripe account's default.",
    )
    prices_include_tax = models.BooleanField(
        "prices include tax",
        default=False,
        help_text="On: tax is inside the prices shown. Off: Stripe adds tax at checkout.",
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("shipping_countries"), InlinePanel("shipping_rates", max_num=5)],
            heading="Shipping",
            help_text="Stripe offers at most five shipping rates.",
        ),
        FieldPanel("collect_phone"),
        FieldPanel("allow_promotion_codes"),
        MultiFieldPanel(
            [
                FieldPanel("stripe_tax"),
                FieldPanel("default_tax_code"),
                FieldPanel("prices_include_tax"),
            ],
            heading="Tax",
        ),
    ]

    class Meta:
        verbose_name = "checkout settings"
        verbose_name_plural = "checkout settings"

    def clean(self):
        super().clean()
        self.shipping_countries = ", ".join(self.country_codes)

    @property
    def country_codes(self) -> list[str]:
        codes = (code.strip().upper() for code in self.shipping_countries.split(","))
        return list(dict.fromkeys(code for code in codes if code))

    @property
    def price_tax_note(self) -> str:
        """What a price shown in the shop says about tax."""
        if not self.stripe_tax:
            return ""
        return "incl. tax" if self.prices_include_tax else "+ tax"

    @classmethod
    def for_checkout(cls) -> "CheckoutSettings":
        """The default site's settings with their shipping rates, read fresh for a checkout, in
        one prepared statement: the ORM's two queries took longer to build than to answer."""
        with connection.cursor() as cursor:
            execute_prepared(cursor, _checkout_settings_sql(), [])
            rows = cursor.fetchall()
        if not rows:
            return cls()
        split = len(cls._meta.concrete_fields)
        found = model_from_row(cls, rows[0][:split])
        found.shipping_rates = [
            model_from_row(ShippingRate, row[split:]) for row in rows if row[split] is not None
        ]
        return found


@functools.cache
def _checkout_settings_sql() -> str:
    """The default site's checkout settings, one row for each of their shipping rates in the
    order staff set (one row of NULL rate columns when there are none)."""
    quote = connection.ops.quote_name
    return (
        f"SELECT {selected_columns(CheckoutSettings, 'settings')}, "
        f"{selected_columns(ShippingRate, 'rate')} "
        f"FROM {quote(CheckoutSettings._meta.db_table)} settings "
        f"JOIN {quote(Site._meta.db_table)} site "
        "ON site.id = settings.site_id AND site.is_default_site "
        f"LEFT JOIN {quote(ShippingRate._meta.db_table)} rate ON rate.settings_id = settings.id "
        "ORDER BY settings.id, rate.sort_order, rate.id"
    )


class ShippingRate(Orderable):
    settings = ParentalKey(
        CheckoutSettings, on_delete=models.CASCADE, related_name="shipping_rates"
    )
    name = models.CharField(max_length=100, help_text="Shown to shoppers, e.g. Standard.")
    price = models.DecimalField(
        max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    min_business_days = models.PositiveSmallIntegerField(
        "delivery from (business days)", null=True, blank=True, validators=[MinValueValidator(1)]
    )
    max_business_days = models.PositiveSmallIntegerField(
        "delivery within (business days)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
    )
    free_above = models.DecimalField(
        "free from subtotal",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Orders whose items come to this much or more ship free. Empty: never free.",
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("price"),
        FieldPanel("min_business_days"),
        FieldPanel("max_business_days"),
        FieldPanel("free_above"),
    ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if (
            self.min_business_days is not None
            and self.max_business_days is not None
            and self.min_business_days > self.max_business_days
        ):
            raise ValidationError(
                {"max_business_days": "The longest delivery cannot be shorter than the shortest."}
            )

    def price_for(self, subtotal: Decimal) -> Decimal:
        """What this rate costs for items worth `subtotal`."""
        if self.free_above is not None and subtotal >= self.free_above:
            return Decimal("0")
        return self.price
