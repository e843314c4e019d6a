"""Refunds staff ask for in the admin; Stripe's charge.refunded webhook records them."""

import logging
from decimal import Decimal

from products.templatetags.shop_tags import usd

from . import stripe_gateway
from .models import Order
from .money import to_cents

logger = logging.getLogger(__name__)


class RefundError(Exception):
    """The refund cannot be asked for; `user_message` says why and what to do instead."""

    def __init__(self, user_message: str):
        super().__init__(user_message)
        self.user_message = user_message


def refund_order(order: Order, amount: Decimal | None, request_token: str) -> str:
    """Ask Stripe to refund `amount` (everything left when None); return Stripe's refund id.

    `request_token` names this one request for a refund: asking again with the same token
    (a form submitted twice) gets the same refund back from Stripe, never a second one.
    The order itself does not change here: it shows the refund once Stripe's charge.refunded
    event arrives, so the admin never claims money went back that Stripe has not returned.
    """
    if not order.is_refundable:
        raise RefundError(_why_not_refundable(order))
    left = order.amount_refundable
    amount = left if amount is None else amount
    if not Decimal("0") < amount <= left:
        raise RefundError(f"Choose an amount from $0.01 to {usd(left)}.")
    amount_cents = to_cents(amount)
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
