"""Refunds staff ask for in the admin; Stripe's charge.refunded webhook records them."""

import logging
from decimal import Decimal

from shop.money import format_shop_money as usd

from . import stripe_gateway
from .models import Order
from .money import from_cents, to_cents

logger = logging.getLogger(__name__)


class RefundError(Exception):
    """The refund cannot be asked for; `user_message` says why and what to do instead."""

    def __init__(self, user_message: str):
        super().__init__(user_message)
        self.user_message = user_message


def refundable_amount(order: Order) -> Decimal:
    """What Stripe can still give back of what it charged, as far as the shop has heard."""
    if order.charged_cents is None:
        # Charged in another currency: amounts typed here in dollars would be wrong there.
        return Decimal("0")
    return from_cents(order.charged_cents) - order.amount_refunded


def refund_order(order: Order, amount: Decimal | None, request_token: str) -> str:
    """Ask Stripe to refund `amount` (everything left when None); return Stripe's refund id.

    `request_token` names this one request for a refund: asking again with the same token
    (a form submitted twice) gets the same refund back from Stripe, never a second one.
    The order itself does not change here: it shows the refund once Stripe's charge.refunded
    event arrives, so the admin never claims money went back that Stripe has not returned.
    """
    if order.status != Order.Status.PAID or not order.stripe_payment_intent_id:
        raise RefundError(
            f"Order {order.reference} is {order.get_status_display().lower()}; "
            "only paid orders can be refunded."
        )
    if order.charged_cents is None:
        raise RefundError(
            f"Stripe charged order {order.reference} in a currency other than the shop currency; "
            "refund it from the Stripe dashboard."
        )
    left = refundable_amount(order)
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
