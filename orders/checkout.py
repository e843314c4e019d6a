"""From cart to payable order: a pending order and the Stripe Checkout Session to pay it on."""

import functools
import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from products import stock
from shop.prepared_statements import execute_prepared, model_from_row, selected_columns

from . import payments, stripe_gateway
from .cart import Cart, CartLine
from .errors import ShopError
from .models import CheckoutSettings, Order, OrderItem, ShippingRate
from .money import to_cents
from .stripe_gateway import StripeError, StripeRejected

logger = logging.getLogger(__name__)

# Stripe needs expires_at at least 30 minutes ahead when the request arrives; the
# extra minute covers the time between creating the order and Stripe receiving it.
EXPIRY_ALLOWANCE = timedelta(minutes=1)
# Stripe Tax's code for shipping charges.
SHIPPING_TAX_CODE = "txcd_92010001"


class CheckoutError(ShopError):
    """The cart cannot be paid for as it is."""


class CheckoutUnavailable(CheckoutError):
    """Stripe could not be reached or failed; the shopper may simply try again."""


class OutOfStock(CheckoutError):
    """The cart asks for more than is left of some line; the message names each and what is left."""


@dataclass(frozen=True)
class CheckoutUrls:
    success_url: str
    cancel_url: str


def create_checkout(
    cart: Cart, owner_key: str, user, urls: CheckoutUrls, known: "ShopperOrders | None" = None
) -> Order:
    """Return the order whose Checkout Session the shopper should pay; never two for one cart.
    `known` is what shopper_orders just read for this shopper, saving the first lookup."""
    lines, notices = cart.lines()
    if notices:
        raise CheckoutError(" ".join(notices) + " Please review your cart and try again.")
    if not lines:
        raise CheckoutError("Your cart is empty. Add a product before checking out.")
    fingerprint = Cart.fingerprint(lines)

    for attempt in range(3):
        order = known.open_checkout if known and not attempt else _open_order_for(owner_key)
        if order is None:
            try:
                order = _create_pending_order(lines, fingerprint, owner_key, user)
            except IntegrityError:
                continue
        elif order.cart_fingerprint != fingerprint or order.checkout_expires_soon:
            close_checkout(order)
            continue
        return _ensure_stripe_session(order, lines, urls)
    raise CheckoutError("Your checkout is being updated in another tab. Please try again.")


def _open_order_for(owner_key: str) -> Order | None:
    return Order.objects.owned_by(owner_key).open_checkouts().first()


def _create_pending_order(lines: list[CartLine], fingerprint: str, owner_key: str, user) -> Order:
    """The pending order and, in the same transaction, its hold on tracked stock: both or none."""
    tracked = [line for line in lines if line.stock_item.track_stock]
    order = Order(
        owner_key=owner_key,
        user=user if user is not None and user.is_authenticated else None,
        customer_email=getattr(user, "email", "") or "",
        currency=settings.SHOP_CURRENCY,
        total=sum((line.line_total for line in lines), Decimal("0")),
        cart_fingerprint=fingerprint,
        checkout_expires_at=timezone.now()
        + timedelta(minutes=settings.SHOP_CHECKOUT_SESSION_MINUTES)
        + EXPIRY_ALLOWANCE,
        stock_hold=Order.StockHold.HELD if tracked else Order.StockHold.NONE,
    )
    items = [
        OrderItem(
            order=order,
            product=line.product,
            product_name=line.product.name,
            variant=line.variant,
            sku=line.variant.sku if line.variant else "",
            options=line.variant.options if line.variant else "",
            stock_level_id=_stock_level_id(line) if line in tracked else None,
            unit_price=line.unit_price,
            quantity=line.quantity,
        )
        for line in lines
    ]
    if not tracked:
        # One statement commits the order with its items by itself: there is nothing to hold.
        _insert_order_with_items(order, items)
        return order
    with transaction.atomic():
        _insert_order_with_items(order, items)
        try:
            stock.hold(
                stock.Hold(_stock_level_id(line), line.quantity, line.name) for line in tracked
            )
        except stock.NotEnoughStock as error:
            raise OutOfStock(
                " ".join(shortage.message for shortage in error.shortages) + " Nothing was charged."
            ) from error
        return order


def _insert_order_with_items(order: Order, items: list[OrderItem]) -> None:
    """Write a new order and its items, on PostgreSQL in one prepared statement: a checkout
    click spent more time building the ORM's two INSERTs than PostgreSQL spent on them."""
    if connection.vendor != "postgresql":
        # SQLite, for local runs, takes no INSERT in a WITH clause.
        with transaction.atomic():
            order.save(force_insert=True)
            OrderItem.objects.bulk_create(items)
        return
    order_fields, item_fields = _inserted_fields(Order), _inserted_fields(OrderItem, "order")
    params = [
        field.get_db_prep_save(field.pre_save(order, True), connection) for field in order_fields
    ]
    for item in items:
        params += [
            field.get_db_prep_save(field.pre_save(item, True), connection) for field in item_fields
        ]
    with connection.cursor() as cursor:
        execute_prepared(cursor, _order_with_items_sql(len(items)), params)
        order.pk = cursor.fetchone()[0]
    order._state.adding, order._state.db = False, connection.alias


def _inserted_fields(model, *left_out: str) -> list:
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in left_out
    ]


@functools.lru_cache(maxsize=64)
def _order_with_items_sql(item_count: int) -> str:
    quote = connection.ops.quote_name

    def columns(fields) -> str:
        return ", ".join(quote(field.column) for field in fields)

    order_fields, item_fields = _inserted_fields(Order), _inserted_fields(OrderItem, "order")
    item_values = ", ".join(["%s"] * len(item_fields))
    return (
        f"WITH placed AS (INSERT INTO {quote(Order._meta.db_table)} ({columns(order_fields)}) "
        f"VALUES ({', '.join(['%s'] * len(order_fields))}) RETURNING id), "
        f"listed AS (INSERT INTO {quote(OrderItem._meta.db_table)} "
        f"(order_id, {columns(item_fields)}) VALUES "
        + ", ".join([f"((SELECT id FROM placed), {item_values})"] * item_count)
        + ") SELECT id FROM placed"
    )


def _stock_level_id(line: CartLine) -> int | None:
    level = getattr(line.stock_item, "stock_level", None) if line.stock_item.pk else None
    return level.pk if level is not None else None


def _checkout_params(order: Order, lines: list[CartLine], urls: CheckoutUrls) -> dict:
    checkout_settings = CheckoutSettings.for_checkout()
    tax_behavior = "inclusive" if checkout_settings.prices_include_tax else "exclusive"
    line_items = []
    for line in lines:
        price_data = {
            "currency": order.currency,
            "unit_amount": to_cents(line.unit_price),
            "product_data": {"name": line.name},
        }
        if checkout_settings.stripe_tax:
            price_data["tax_behavior"] = tax_behavior
            tax_code = line.tax_code or checkout_settings.default_tax_code
            if tax_code:
                price_data["product_data"]["tax_code"] = tax_code
        line_items.append({"quantity": line.quantity, "price_data": price_data})
    params = {
        "mode": "payment",
        "line_items": line_items,
        "success_url": urls.success_url,
        "cancel_url": urls.cancel_url,
        "client_reference_id": order.reference,
        "metadata": {"order_reference": order.reference},
        "expires_at": int(order.checkout_expires_at.timestamp()),
    }
    if order.customer_email:
        params["customer_email"] = order.customer_email
    if checkout_settings.country_codes and any(line.product.needs_shipping for line in lines):
        params["shipping_address_collection"] = {
            "allowed_countries": checkout_settings.country_codes
        }
        options = [
            {"shipping_rate_data": _shipping_rate_data(rate, order, checkout_settings)}
            for rate in checkout_settings.shipping_rates.all()
        ]
        if options:
            params["shipping_options"] = options
    if checkout_settings.collect_phone:
        params["phone_number_collection"] = {"enabled": True}
    if checkout_settings.allow_promotion_codes:
        params["allow_promotion_codes"] = True
    if checkout_settings.stripe_tax:
        params["automatic_tax"] = {"enabled": True}
    return params


def _shipping_rate_data(
    rate: ShippingRate, order: Order, checkout_settings: CheckoutSettings
) -> dict:
    data = {
        "display_name": rate.name,
        "type": "fixed_amount",
        "fixed_amount": {
            "amount": to_cents(rate.price_for(order.total)),
            "currency": order.currency,
        },
    }
    estimate = {
        bound: {"unit": "business_day", "value": days}
        for bound, days in (
            ("minimum", rate.min_business_days),
            ("maximum", rate.max_business_days),
        )
        if days is not None
    }
    if estimate:
        data["delivery_estimate"] = estimate
    if checkout_settings.stripe_tax:
        data["tax_behavior"] = "inclusive" if checkout_settings.prices_include_tax else "exclusive"
        data["tax_code"] = SHIPPING_TAX_CODE
    return data


def _ensure_stripe_session(order: Order, lines: list[CartLine], urls: CheckoutUrls) -> Order:
    if order.stripe_checkout_url:
        return order
    try:
        session = stripe_gateway.create_checkout_session(
            _checkout_params(order, lines, urls), idempotency_key=f"checkout-{order.reference}"
        )
    except StripeError as error:
        order.refresh_from_db()
        if order.stripe_checkout_url:
            # A double click's other request opened the session meanwhile: use it.
            return order
        if isinstance(error, StripeRejected):
            # Stripe refused the request itself and opened nothing: the next click starts over.
            Order.objects.filter(pk=order.pk, stripe_checkout_session_id__isnull=True).cancel()
        # Otherwise Stripe may have opened the session and only its answer was lost. The order
        # stays open without a Checkout page, and the next click asks again with the same
        # idempotency key, so Stripe hands back that session instead of opening a second one.
        logger.warning(
            "Checkout for order %s could not start: %s",
            order.reference,
            error,
            extra={"order_reference": order.reference},
        )
        raise CheckoutUnavailable(
            "We could not start the payment. Your cart is saved; please try again in a minute."
        ) from error
    opened = {
        "stripe_checkout_session_id": session.id,
        "stripe_checkout_url": session.url,
        "updated_at": timezone.now(),
    }
    if _store_checkout_session(order.pk, opened):
        for field, value in opened.items():
            setattr(order, field, value)
    else:
        # A double click's other request stored its session first: the order shows that one.
        order.refresh_from_db()
    logger.info(
        "Checkout Session %s opened for order %s",
        session.id,
        order.reference,
        extra={"order_reference": order.reference, "checkout_session_id": session.id},
    )
    return order


def _store_checkout_session(order_id: int, opened: dict) -> bool:
    """Give the order its Checkout Session unless it has one; whether it took this one.
    Prepared: it follows every session opened, where the ORM's UPDATE took longer to build
    than to run."""
    with connection.cursor() as cursor:
        execute_prepared(
            cursor,
            f"UPDATE {Order._meta.db_table} SET stripe_checkout_session_id = %s, "
            "stripe_checkout_url = %s, updated_at = %s "
            "WHERE id = %s AND stripe_checkout_session_id IS NULL RETURNING id",
            [
                opened["stripe_checkout_session_id"],
                opened["stripe_checkout_url"],
                Order._meta.get_field("updated_at").get_db_prep_save(
                    opened["updated_at"], connection
                ),
                order_id,
            ],
        )
        return cursor.fetchone() is not None


@dataclass(frozen=True)
class ShopperOrders:
    """What a checkout click needs of the shopper's orders: the checkout they left open, and
    the paid orders whose cart was not settled yet (newest first)."""

    open_checkout: Order | None
    unsettled: list[Order]


NO_ORDERS = ShopperOrders(open_checkout=None, unsettled=[])


def shopper_orders(owner_key: str | None) -> ShopperOrders:
    """The shopper's open checkout and unsettled paid orders, in one prepared statement: every
    checkout click and cart page asks both, and through the ORM building the two queries took
    longer than PostgreSQL takes to answer them."""
    if owner_key is None:
        return NO_ORDERS
    with connection.cursor() as cursor:
        execute_prepared(
            cursor,
            _shopper_orders_sql(),
            [owner_key, Order.Status.PENDING, Order.Status.PAID, Order.Status.PENDING],
        )
        orders = [model_from_row(Order, row) for row in cursor.fetchall()]
    open_checkouts = [order for order in orders if order.is_open_checkout]
    return ShopperOrders(
        open_checkout=open_checkouts[0] if open_checkouts else None,
        unsettled=[order for order in orders if not order.is_open_checkout],
    )


@functools.cache
def _shopper_orders_sql() -> str:
    """Both kinds of order shopper_orders reads: the open checkout (at most one, by the
    unique index one_open_checkout_per_shopper) and paid orders not yet settled, as
    settle_paid_cart counts them."""
    return (
        f"SELECT {selected_columns(Order)} FROM {connection.ops.quote_name(Order._meta.db_table)} "
        "WHERE owner_key = %s "
        "AND ((status = %s AND checkout_open) OR (NOT cart_settled "
        "AND (status = %s OR (status = %s AND NOT checkout_open)))) "
        "ORDER BY created_at DESC, id DESC"
    )


def settle_paid_cart(cart: Cart, unsettled: list[Order]) -> Order | None:
    """Take out of the cart what the shopper's newly paid orders bought (shopper_orders'
    `unsettled`), when they did not come back to the success page (only Stripe's webhook saw
    the payment): a cart still holding it invites paying twice. The order whose items were
    taken out, if any.

    Each paid order settles the cart once, as the success page does: a shopper who later fills
    the cart with the same things again keeps them."""
    if not unsettled:
        return None
    prefetch_related_objects(unsettled, "items")
    emptied = next(
        (order for order in unsettled if cart.clear_if_holding(order.line_quantities())), None
    )
    mark_cart_settled(*unsettled)
    return emptied


def mark_cart_settled(*orders: Order) -> None:
    Order.objects.filter(pk__in=[order.pk for order in orders], cart_settled=False).update(
        cart_settled=True
    )


def close_checkout(order: Order) -> None:
    """Stop offering an order's Checkout Session, expiring it at Stripe first."""
    if order.stripe_checkout_session_id:
        try:
            payments.expire_checkout(order)
        except StripeError as error:
            raise CheckoutUnavailable(
                "We could not update your checkout. Your cart is saved; please try again."
            ) from error
    Order.objects.filter(pk=order.pk).open_checkouts().cancel()


def retire_checkout(order: Order) -> None:
    """Close a checkout the shopper no longer needs; if Stripe cannot be told, cancel it here."""
    try:
        close_checkout(order)
    except CheckoutUnavailable:
        # Stripe ends the session by its expiry time at the latest; a payment made on it
        # before then still moves the order to paid.
        logger.warning(
            "Checkout Session %s of order %s could not be expired at Stripe; cancelled here",
            order.stripe_checkout_session_id,
            order.reference,
            extra={
                "order_reference": order.reference,
                "checkout_session_id": order.stripe_checkout_session_id,
            },
        )
        Order.objects.filter(pk=order.pk).open_checkouts().cancel()
