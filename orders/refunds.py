"""Refunds: staff ask Stripe for them in the admin; Stripe's charge.refunded event records them."""

import logging
from decimal import Decimal

from django.db import transaction

from shop.money import format_money

from . import emails, payments, stripe_gateway
from .errors import ShopError
from .models import Order
from .money import from_cents, to_cents
from .stripe_gateway import CheckoutSession

logger = logging.getLogger(__name__)


class RefundError(ShopError):
    """The refund cannot be asked for; `user_message` says why and what to do instead."""


def refund_order(order: Order, amount: Decimal | None, request_token: str) -> str:
    """Ask Stripe to refund `amount` (everything left when None); return Stripe's refund id.

    `request_token` names this one request for a refund: asking again with the same token
    (a form submitted twice) gets the same refund back from Stripe, never a second one.
    The order itself does not change here: it shows the refund once Stripe's charge.refunded
    event arrives, so the admin never claims money went back that Stripe has not returned.
    """
    amount_cents = to_cents(amount_to_refund(order, amount))
    refund_id = stripe_gateway.create_refund(
        order.stripe_payment_intent_id,
        amount_cents,
        idempotency_key=f"refund-{order.reference}-{request_token}",
    )
    logger.info(
        "Refund %s of %s cents requested for order %s (PaymentIntent %s)",
        refund_id,
        amount_cents,
        order.reference,
        order.stripe_payment_intent_id,
    )
    return refund_id


def amount_to_refund(order: Order, amount: Decimal | None) -> Decimal:
    """The amount a refund of `amount` (everything left when None) would give back; RefundError
    when the order cannot be refunded that much."""
    if not order.is_refundable:
        raise RefundError(_why_not_refundable(order))
    left = order.amount_refundable
    amount = left if amount is None else amount
    if not Decimal("0") < amount <= left:
        smallest = format_money(Decimal("0.01"), order.currency)
        raise RefundError(
            f"Choose an amount from {smallest} to {format_money(left, order.currency)}."
        )
    return amount


def _why_not_refundable(order: Order) -> str:
    if order.status != Order.Status.PAID or not order.stripe_payment_intent_id:
        return (
            f"Order {order.reference} is {order.get_status_display().lower()}; "
            "only paid orders can be refunded."
        )
    if order.charged_cents is None:
        return (
            f"Stripe charged order {order.reference} in a currency other than the shop currency; "
            "refund it from the Stripe dashboard."
        )
    return f"Order {order.reference} has nothing left to refund."


def apply_refund(
    charge: stripe_gateway.Charge,
    session: CheckoutSession | None = None,
    stripe_event_id: str | None = None,
) -> Order:
    """Record a refund Stripe reports, never more than the order was charged; the shopper is
    emailed (queued in this transaction) about each newly refunded amount.

    `session` is the charge's Checkout Session, asked of Stripe beforehand when no order knew
    the payment yet: this function never calls Stripe, since it runs inside transactions.
    """
    with transaction.atomic():
        if session is not None:
            payments.apply_checkout_session(session, stripe_event_id)
        order = (
            Order.objects.select_for_update()
            .filter(stripe_payment_intent_id=charge.payment_intent_id)
            .first()
        )
        if order is None:
            raise payments.UnknownCheckoutSession(charge.payment_intent_id)
        if charge.currency != order.currency or charge.amount != order.charged_cents:
            payments.flag_for_review(
                order, _unmatched_charge_reason(order, charge), stripe_event_id
            )
        else:
            if charge.amount_refunded > charge.amount:
                reported = format_money(from_cents(charge.amount_refunded), order.currency)
                charged = format_money(from_cents(charge.amount), order.currency)
                payments.flag_for_review(
                    order,
                    f"Stripe reported {reported} refunded of a {charged} charge; the order shows "
                    "all of the charge refunded, and no more.",
                    stripe_event_id,
                )
            refunded = min(charge.amount_refunded, charge.amount)
            if from_cents(refunded) > order.amount_refunded:
                order.amount_refunded = from_cents(refunded)
                emails.queue_refund_notice(order, refunded)
            if refunded == charge.amount:
                order.move_to(Order.Status.REFUNDED)
        order.save()
    return order


def _unmatched_charge_reason(order: Order, charge: stripe_gateway.Charge) -> str:
    charged = order.charged_cents
    was_charged = (
        format_money(from_cents(charged), order.currency)
        if charged is not None
        else f"in {order.charged_currency.upper()}"
    )
    currency = charge.currency.upper() or "an unreadable currency"
    return (
        f"Stripe reported {charge.amount_refunded} refunded of a charge of {charge.amount} "
        f"(smallest units of {currency}), but this order was charged {was_charged}; "
        "the order does not show that refund."
    )
