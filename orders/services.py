"""Money logic: turning carts into orders and keeping orders in step with Stripe."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from shop.money import format_shop_money as usd

from . import emails, stripe_gateway
from .cart import Cart, CartLine
from .models import Order, OrderItem, StripeEvent
from .money import from_cents, to_cents
from .stripe_gateway import CheckoutSession, StripeError, StripeRejected

logger = logging.getLogger(__name__)

Status = Order.Status
# A paid order never goes back; these are the only moves an order can make.
ALLOWED_SOURCES = {
    Status.PAID: [Status.PENDING, Status.CANCELLED],
    Status.FAILED: [Status.PENDING],
    Status.CANCELLED: [Status.PENDING],
    Status.REFUNDED: [Status.PAID],
}
# Stripe needs expires_at at least 30 minutes ahead when the request arrives; the
# extra minute covers the time between creating the order and Stripe receiving it.
EXPIRY_ALLOWANCE = timedelta(minutes=1)


class CheckoutError(Exception):
    def __init__(self, user_message: str):
        super().__init__(user_message)
        self.user_message = user_message


class CheckoutUnavailable(CheckoutError):
    """Stripe could not be reached or failed; the shopper may simply try again."""


class UnknownCheckoutSession(Exception):
    """No order of this shop belongs to that Checkout Session."""


@dataclass(frozen=True)
class CheckoutUrls:
    success_url: str
    cancel_url: str


def create_checkout(cart: Cart, owner_key: str, user, urls: CheckoutUrls) -> Order:
    """Return the order whose Checkout Session the shopper should pay; never two for one cart."""
    lines, notices = cart.lines()
    if notices:
        raise CheckoutError(" ".join(notices) + " Please review your cart and try again.")
    if not lines:
        raise CheckoutError("Your cart is empty. Add a product before checking out.")
    fingerprint = Cart.fingerprint(lines)

    for _attempt in range(3):
        order = _open_order_for(owner_key)
        if order is None:
            try:
                order = _create_pending_order(lines, fingerprint, owner_key, user)
            except IntegrityError:
                continue
        elif order.cart_fingerprint != fingerprint or _checkout_expiring(order):
            _close_checkout(order)
            continue
        return _ensure_stripe_session(order, lines, urls)
    raise CheckoutError("Your checkout is being updated in another tab. Please try again.")


def _open_order_for(owner_key: str) -> Order | None:
    return Order.objects.filter(
        owner_key=owner_key, status=Status.PENDING, checkout_open=True
    ).first()


def _checkout_expiring(order: Order) -> bool:
    return order.checkout_expires_at <= timezone.now() + timedelta(minutes=2)


@transaction.atomic
def _create_pending_order(lines: list[CartLine], fingerprint: str, owner_key: str, user) -> Order:
    order = Order.objects.create(
        owner_key=owner_key,
        user=user if user is not None and user.is_authenticated else None,
        customer_email=getattr(user, "email", "") or "",
        currency=settings.SHOP_CURRENCY,
        total=sum((line.line_total for line in lines), Decimal("0")),
        cart_fingerprint=fingerprint,
        checkout_expires_at=timezone.now()
        + timedelta(minutes=settings.SHOP_CHECKOUT_SESSION_MINUTES)
        + EXPIRY_ALLOWANCE,
    )
    OrderItem.objects.bulk_create(
        OrderItem(
            order=order,
            product=line.product,
            product_name=line.product.name,
            unit_price=line.unit_price,
            quantity=line.quantity,
        )
        for line in lines
    )
    return order


def _checkout_params(order: Order, lines: list[CartLine], urls: CheckoutUrls) -> dict:
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": line.quantity,
                "price_data": {
                    "currency": order.currency,
                    "unit_amount": to_cents(line.unit_price),
                    "product_data": {"name": line.product.name},
                },
            }
            for line in lines
        ],
        "success_url": urls.success_url,
        "cancel_url": urls.cancel_url,
        "client_reference_id": order.reference,
        "metadata": {"order_reference": order.reference},
        "expires_at": int(order.checkout_expires_at.timestamp()),
    }
    if order.customer_email:
        params["customer_email"] = order.customer_email
    return params


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
            Order.objects.filter(
                pk=order.pk, status=Status.PENDING, stripe_checkout_session_id__isnull=True
            ).update(status=Status.CANCELLED, checkout_open=False, updated_at=timezone.now())
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
    Order.objects.filter(pk=order.pk, stripe_checkout_session_id__isnull=True).update(
        stripe_checkout_session_id=session.id,
        stripe_checkout_url=session.url,
        updated_at=timezone.now(),
    )
    order.refresh_from_db()
    logger.info(
        "Checkout Session %s opened for order %s",
        session.id,
        order.reference,
        extra={"order_reference": order.reference, "checkout_session_id": session.id},
    )
    return order


def _close_checkout(order: Order) -> None:
    """Stop offering an order's Checkout Session, expiring it at Stripe first."""
    if order.stripe_checkout_session_id:
        try:
            expire_checkout(order)
        except StripeError as error:
            raise CheckoutUnavailable(
                "We could not update your checkout. Your cart is saved; please try again."
            ) from error
    Order.objects.filter(pk=order.pk, status=Status.PENDING, checkout_open=True).update(
        status=Status.CANCELLED, checkout_open=False, updated_at=timezone.now()
    )


def expire_checkout(order: Order) -> Order:
    """Expire the order's Checkout Session at Stripe and apply the state Stripe ends in."""
    return apply_checkout_session(expire_at_stripe(order.stripe_checkout_session_id))


def expire_at_stripe(session_id: str) -> CheckoutSession:
    """Expire a Checkout Session at Stripe; return the state it ends in, closed either way."""
    try:
        return stripe_gateway.expire_checkout_session(session_id)
    except StripeRejected:
        # Completed or expired since we last looked: Stripe's current state decides.
        return stripe_gateway.retrieve_checkout_session(session_id)


def fulfill_checkout(session_id: str) -> Order:
    """Bring the session's order up to date with Stripe; safe to call any number of times."""
    if not Order.objects.filter(stripe_checkout_session_id=session_id).exists():
        raise UnknownCheckoutSession(session_id)
    return apply_checkout_session(stripe_gateway.retrieve_checkout_session(session_id))


def apply_checkout_session(session: CheckoutSession, stripe_event_id: str | None = None) -> Order:
    """Move the session's order to the state Stripe reports, if that is a move forward."""
    # Inside a webhook's transaction the caller's savepoint already covers a failure here.
    with transaction.atomic(savepoint=False):
        order = (
            Order.objects.select_for_update().filter(stripe_checkout_session_id=session.id).first()
        )
        if order is None:
            raise UnknownCheckoutSession(session.id)
        changes = {}
        if session.status in ("complete", "expired") and order.checkout_open:
            changes["checkout_open"] = False
        if session.payment_intent_id and not order.stripe_payment_intent_id:
            changes["stripe_payment_intent_id"] = session.payment_intent_id
        if session.customer_email and not order.customer_email:
            changes["customer_email"] = session.customer_email
        for field, value in changes.items():
            setattr(order, field, value)
        target = _status_reported(session)
        moved = target is not None and _move(order, target)
        if moved and target == Status.PAID:
            _record_charge(order, session, stripe_event_id)
        if changes or moved:
            order.save()
    return order


def _record_charge(order: Order, session: CheckoutSession, stripe_event_id: str | None) -> None:
    """Keep what Stripe says it charged; the money is taken, so a mismatch only flags the order."""
    order.charged_currency = session.currency
    order.charged_subtotal = session.amount_subtotal
    order.charged_total = session.amount_total
    for reason in order.charge_discrepancies():
        _flag_for_review(order, reason, stripe_event_id)


def _flag_for_review(order: Order, reason: str, stripe_event_id: str | None) -> None:
    if order.flag_for_review(reason):
        logger.error(
            "Order %s needs review: %s",
            order.reference,
            reason,
            extra={
                "order_reference": order.reference,
                "checkout_session_id": order.stripe_checkout_session_id,
                "stripe_event_id": stripe_event_id,
            },
        )


def status_after(order: Order, session: CheckoutSession) -> str:
    """The status apply_checkout_session would give the order for this answer from Stripe."""
    target = _status_reported(session)
    return target if target is not None and _can_move(order.status, target) else order.status


def _status_reported(session: CheckoutSession) -> str | None:
    if session.is_paid:
        return Status.PAID
    if session.has_failed:
        return Status.FAILED
    if session.status == "expired":
        return Status.CANCELLED
    return None


def _can_move(current: str, target: str) -> bool:
    return current != target and current in ALLOWED_SOURCES[target]


def _move(order: Order, target: str) -> bool:
    """Change a locked order's status when the move is allowed; say whether it moved."""
    if not _can_move(order.status, target):
        return False
    logger.info(
        "Order %s: %s -> %s (Checkout Session %s)",
        order.reference,
        order.status,
        target,
        order.stripe_checkout_session_id,
        extra={
            "order_reference": order.reference,
            "checkout_session_id": order.stripe_checkout_session_id,
        },
    )
    order.status = target
    if target == Status.PAID:
        order.paid_at = timezone.now()
        transaction.on_commit(lambda: emails.send_order_confirmation(order.pk))
    return True


def apply_refund(
    charge: stripe_gateway.Charge,
    session: CheckoutSession | None = None,
    stripe_event_id: str | None = None,
) -> Order:
    """Record a refund Stripe reports, never more than the order was charged.

    `session` is the charge's Checkout Session, asked of Stripe beforehand when no order knew
    the payment yet: this function never calls Stripe, since it runs inside transactions.
    """
    with transaction.atomic():
        if session is not None:
            apply_checkout_session(session, stripe_event_id)
        order = (
            Order.objects.select_for_update()
            .filter(stripe_payment_intent_id=charge.payment_intent_id)
            .first()
        )
        if order is None:
            raise UnknownCheckoutSession(charge.payment_intent_id)
        if charge.currency != order.currency or charge.amount != order.charged_cents:
            _flag_for_review(order, _unmatched_charge_reason(order, charge), stripe_event_id)
        else:
            if charge.amount_refunded > charge.amount:
                _flag_for_review(
                    order,
                    f"Stripe reported {usd(from_cents(charge.amount_refunded))} refunded of a "
                    f"{usd(from_cents(charge.amount))} charge; the order shows all of the "
                    "charge refunded, and no more.",
                    stripe_event_id,
                )
            refunded = min(charge.amount_refunded, charge.amount)
            order.amount_refunded = max(order.amount_refunded, from_cents(refunded))
            if refunded == charge.amount:
                _move(order, Status.REFUNDED)
        order.save()
    return order


def _unmatched_charge_reason(order: Order, charge: stripe_gateway.Charge) -> str:
    charged = order.charged_cents
    was_charged = (
        usd(from_cents(charged)) if charged is not None else f"in {order.charged_currency.upper()}"
    )
    currency = charge.currency.upper() or "an unreadable currency"
    return (
        f"Stripe reported {charge.amount_refunded} refunded of a charge of {charge.amount} "
        f"(smallest units of {currency}), but this order was charged {was_charged}; "
        "the order does not show that refund."
    )


def handle_webhook_event(event: dict) -> StripeEvent:
    """Apply a verified Stripe event once, however many times it is delivered."""
    lookup = _look_up_at_stripe(event)
    stripe_event_id = StripeEvent.storable_id(event["id"])
    with transaction.atomic():
        # A concurrent delivery of the same event waits here until the first one commits.
        StripeEvent.objects.bulk_create(
            [
                StripeEvent(
                    stripe_event_id=stripe_event_id,
                    type=StripeEvent.storable_type(event["type"]),
                    payload=event,
                    outcome=StripeEvent.Outcome.FAILED,
                )
            ],
            ignore_conflicts=True,
        )
        record = StripeEvent.objects.select_for_update().get(stripe_event_id=stripe_event_id)
        if record.processed_at is not None:
            StripeEvent.objects.filter(pk=record.pk).update(delivery_count=F("delivery_count") + 1)
            if record.outcome != StripeEvent.Outcome.FAILED:
                return record
        return _process_event(record, event, lookup)


def replay_event(record: StripeEvent) -> StripeEvent:
    """Apply a recorded event again, for events whose processing failed."""
    lookup = _look_up_at_stripe(record.payload)
    with transaction.atomic():
        record = StripeEvent.objects.select_for_update().get(pk=record.pk)
        return _process_event(record, record.payload, lookup)


@dataclass(frozen=True)
class StripeLookup:
    """What an event needs from Stripe, asked before any row is locked: a slow Stripe then
    holds no lock, and a failed answer is recorded for the event to be delivered again."""

    session: CheckoutSession | None = None
    failure: StripeError | None = None


def _look_up_at_stripe(event: dict) -> StripeLookup:
    if event["type"] != "charge.refunded":
        return StripeLookup()
    try:
        payment_intent_id = stripe_gateway.charge_from_event(event).payment_intent_id
    except stripe_gateway.InvalidWebhook:
        return StripeLookup()
    if Order.objects.filter(stripe_payment_intent_id=payment_intent_id).exists():
        return StripeLookup()
    # A refund can arrive before the payment's own event: find the session it paid.
    try:
        return StripeLookup(
            session=stripe_gateway.find_checkout_session_for_payment_intent(payment_intent_id)
        )
    except StripeError as error:
        return StripeLookup(failure=error)


def _process_event(record: StripeEvent, event: dict, lookup: StripeLookup) -> StripeEvent:
    handler = EVENT_HANDLERS.get(event["type"])
    try:
        if lookup.failure is not None:
            # Handled like a failure inside the handler: kept as failed, Stripe delivers again.
            raise lookup.failure
        with transaction.atomic():
            order = handler(event, lookup) if handler else None
    except UnknownCheckoutSession:
        record.outcome, record.detail = StripeEvent.Outcome.IGNORED, "No matching order."
    except stripe_gateway.InvalidWebhook as error:
        record.outcome, record.detail = StripeEvent.Outcome.IGNORED, str(error)
    except StripeError as error:
        record.outcome, record.detail = StripeEvent.Outcome.FAILED, str(error)
    else:
        record.order = order
        record.outcome = StripeEvent.Outcome.PROCESSED if handler else StripeEvent.Outcome.IGNORED
        record.detail = "" if handler else "Event type not handled by the shop."
    record.processed_at = timezone.now()
    record.save(update_fields=["order", "outcome", "detail", "processed_at"])
    log = logger.warning if record.outcome == StripeEvent.Outcome.FAILED else logger.info
    log(
        "Stripe event %s (%s): %s %s",
        record.stripe_event_id,
        record.type,
        record.outcome,
        record.detail,
        extra={
            "stripe_event_id": record.stripe_event_id,
            "order_reference": record.order.reference if record.order else None,
        },
    )
    return record


def _on_checkout_session_event(event: dict, lookup: StripeLookup) -> Order:
    return apply_checkout_session(stripe_gateway.session_from_event(event), event["id"])


def _on_charge_refunded(event: dict, lookup: StripeLookup) -> Order:
    return apply_refund(stripe_gateway.charge_from_event(event), lookup.session, event["id"])


EVENT_HANDLERS = {
    "checkout.session.completed": _on_checkout_session_event,
    "checkout.session.async_payment_succeeded": _on_checkout_session_event,
    "checkout.session.async_payment_failed": _on_checkout_session_event,
    "checkout.session.expired": _on_checkout_session_event,
    "charge.refunded": _on_charge_refunded,
}


def claim_anonymous_orders(anonymous_key: str, user) -> int:
    """Give a shopper who just signed in the orders they made in this browser.

    An account has one open checkout at most: when the browser and the account each have one,
    the older is expired at Stripe and cancelled, so no payable session is left out of sight.
    """
    signed_in = f"user:{user.pk}"
    claimed = Order.objects.filter(owner_key=anonymous_key)
    for _attempt in range(3):
        open_checkouts = Order.objects.filter(
            owner_key__in=[anonymous_key, signed_in], status=Status.PENDING, checkout_open=True
        ).order_by("created_at", "pk")
        for older in list(open_checkouts)[:-1]:
            _retire_checkout(older)
        try:
            with transaction.atomic():
                return claimed.update(owner_key=signed_in, user=user)
        except IntegrityError:
            # Another tab opened a checkout meanwhile; look again.
            continue
    return claimed.exclude(status=Status.PENDING, checkout_open=True).update(
        owner_key=signed_in, user=user
    )


def _retire_checkout(order: Order) -> None:
    """Close a checkout the shopper no longer needs; if Stripe cannot be told, cancel it here."""
    try:
        _close_checkout(order)
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
        Order.objects.filter(pk=order.pk, status=Status.PENDING, checkout_open=True).update(
            status=Status.CANCELLED, checkout_open=False, updated_at=timezone.now()
        )
