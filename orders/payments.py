"""Applying Stripe's word on a Checkout Session to its order: paid, failed or expired.

The success page, the webhook and reconcile_orders all end here. Stripe is asked before any
row is locked; the order is then locked only to make the move, and moves only forward.
"""

import logging

from django.db import transaction

from shop.money import format_money

from . import emails, stripe_gateway
from .models import Order
from .money import from_cents
from .stripe_gateway import CheckoutSession, StripeRejected

logger = logging.getLogger(__name__)

Status = Order.Status


class UnknownCheckoutSession(Exception):
    """No order of this shop belongs to that Checkout Session."""


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


def fulfill_checkout(order: Order) -> Order:
    """Bring the order up to date with its Checkout Session at Stripe; safe to call any number of
    times. Stripe is asked before the order is locked."""
    session = stripe_gateway.retrieve_checkout_session(order.stripe_checkout_session_id)
    return apply_checkout_session(session)


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
        moved = target is not None and order.move_to(target)
        if moved and target == Status.PAID:
            _record_charge(order, session, stripe_event_id)
            emails.queue_confirmation(order)
        elif moved and target == Status.FAILED:
            # Only a delayed payment (a bank transfer or debit) fails after checkout.
            emails.queue_payment_failed(order)
        if changes or moved:
            order.save()
    return order


def _record_charge(order: Order, session: CheckoutSession, stripe_event_id: str | None) -> None:
    """Keep what Stripe says it charged; the money is taken, so a mismatch only flags the order."""
    order.charged_currency = session.currency
    order.charged_subtotal = session.amount_subtotal
    order.charged_total = session.amount_total
    for reason in _charge_discrepancies(order):
        flag_for_review(order, reason, stripe_event_id)


def _charge_discrepancies(order: Order) -> list[str]:
    """Where what Stripe reported charging does not add up with this order."""
    reasons = []
    if order.charged_currency != order.currency:
        charged = order.charged_currency.upper() or "a currency the shop cannot read"
        reasons.append(
            f"Stripe charged in {charged}, but the order is in {order.currency.upper()}."
        )
    else:
        # The total is the sum of the items: with no shipping, tax or discounts yet,
        # Stripe's subtotal and total must both equal it.
        for label, charged_cents in (
            ("subtotal", order.charged_subtotal),
            ("total", order.charged_total),
        ):
            if charged_cents is None:
                reasons.append(f"Stripe reported no {label} the shop can read.")
            elif charged_cents != order.total_in_cents:
                reasons.append(
                    f"Stripe's {label} is "
                    f"{format_money(from_cents(charged_cents), order.currency)}, "
                    f"but the order's items come to {format_money(order.total, order.currency)}."
                )
    if not order.stripe_payment_intent_id:
        reasons.append(
            "Stripe reported no payment id the shop can store: refunds made at Stripe "
            "will not show on this order."
        )
    return reasons


def flag_for_review(order: Order, reason: str, stripe_event_id: str | None) -> None:
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
    return target if target is not None and order.can_move_to(target) else order.status


def _status_reported(session: CheckoutSession) -> str | None:
    if session.is_paid:
        return Status.PAID
    if session.has_failed:
        return Status.FAILED
    if session.status == "expired":
        return Status.CANCELLED
    return None
