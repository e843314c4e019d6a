"""Applying Stripe's word on a Checkout Session to its order: paid, failed or expired.

The success page, the webhook and reconcile_orders all end here. Stripe is asked before any
row is locked; the order is then locked only to make the move, and moves only forward.
"""

import functools
import logging
from dataclasses import fields
from decimal import Decimal

from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from shop.money import format_money
from shop.prepared_statements import text_literals

from . import emails, stripe_gateway
from .models import Order
from .money import from_cents, to_cents
from .stripe_gateway import CheckoutSession, ShippingDetails, StripeRejected

logger = logging.getLogger(__name__)

Status = Order.Status
# A hold released before the payment calls for apply_checkout_session.
_PAYABLE_HOLDS = text_literals(Order.StockHold.NONE, Order.StockHold.HELD)


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
        target = _status_reported(session)
        if target == Status.PAID:
            paid = _pay(session, stripe_event_id)
            if paid is not None:
                return paid
        order = (
            Order.objects.select_for_update().filter(stripe_checkout_session_id=session.id).first()
        )
        if order is None:
            raise UnknownCheckoutSession(session.id)
        changes = {}
        if _closes_checkout(session) and order.checkout_open:
            changes["checkout_open"] = False
        if session.payment_intent_id and not order.stripe_payment_intent_id:
            changes["stripe_payment_intent_id"] = session.payment_intent_id
        if session.customer_email and not order.customer_email:
            changes["customer_email"] = session.customer_email
        for field, value in changes.items():
            setattr(order, field, value)
        moved = target is not None and order.move_to(target)
        if moved and target == Status.FAILED:
            # Only a delayed payment (a bank transfer or debit) fails after checkout.
            emails.queue_payment_failed(order)
        if changes or moved:
            order.save()
    return order


def _pay(session: CheckoutSession, stripe_event_id: str | None) -> Order | None:
    """Mark the session's order paid with what Stripe charged, if it may still be paid, and
    queue its confirmation; None if it may not (already paid, or no such order)."""
    recorded, too_long = _charge_recorded(session)
    order = Order.pay(
        session.id, recorded, _filled_if_blank(session), close_checkout=_closes_checkout(session)
    )
    if order is None:
        return None
    discrepancies = _charge_discrepancies(
        order.currency, order.total, order.stripe_payment_intent_id, recorded
    )
    flagged = [
        flag_for_review(order, reason, stripe_event_id) for reason in [*too_long, *discrepancies]
    ]
    if any(flagged):
        order.save(update_fields=["review_reasons", "updated_at"])
    emails.queue_confirmation(order)
    return order


def paid_session_ctes(
    session: CheckoutSession, condition: str = "", condition_params: tuple = ()
) -> tuple[str, list, DBTaskResult] | None:
    """Common table expressions applying a paid session in the one statement that records its
    event, on PostgreSQL, when nothing about it needs more: its order paid with what Stripe
    charged, the stock its checkout held sold and its confirmation queued (`paid`, `emailed`),
    or the order found settled with nothing left to fill in (`settled`); `applied` returns
    the order's id and reference either way. Nothing is applied, and apply_checkout_session
    has the work, when Stripe's figures do not agree with the order, a hold was released
    before the payment, or the settled order lacks what the session tells. The order is paid
    only if `condition` (SQL, with `condition_params`) holds too. Their parameters and the task
    row to announce; None when Stripe's figures alone call for a review."""
    recorded, too_long = _charge_recorded(session)
    if too_long or session.amount_subtotal is None:
        return None
    total = from_cents(session.amount_subtotal)
    if _charge_discrepancies(session.currency, total, session.payment_intent_id, recorded):
        return None
    filled_if_blank, closing = _filled_if_blank(session), _closes_checkout(session)
    # Only an order of this currency and total agrees with the figures as checked above.
    paying, paying_params = Order.paying_ctes(
        session.id,
        recorded,
        filled_if_blank,
        closing,
        f"AND currency = %s AND total = %s AND stock_hold IN ({_PAYABLE_HOLDS}) {condition}",
        (session.currency, total, *condition_params),
        returning=("id", "reference"),
    )
    emailing, emailing_params, queued = emails.confirmation_ctes("paid")
    settled_params = [session.id, closing, session.payment_intent_id, session.customer_email]
    return (
        _paid_session_sql(paying, Order.held_stock_sold_ctes(), emailing),
        [*paying_params, *emailing_params, *settled_params],
        queued,
    )


@functools.lru_cache(maxsize=64)
def _paid_session_sql(paying: str, selling: str, emailing: str) -> str:
    """The text of paid_session_ctes, the very same string for the same parts: the prepared
    statement is named after it, and a string that is looked up again keeps its hash."""
    table = connection.ops.quote_name(Order._meta.db_table)
    # What apply_checkout_session would change on an order that does not move.
    settled = (
        f"settled AS (SELECT id, reference FROM {table} WHERE stripe_checkout_session_id = %s "
        f"AND status NOT IN ({text_literals(*Order.ALLOWED_SOURCES[Status.PAID])}) "
        "AND NOT (checkout_open AND %s) "
        "AND (stripe_payment_intent_id <> '' OR %s = '') "
        "AND (customer_email <> '' OR %s = '')), "
        "applied AS (SELECT id, reference FROM paid UNION ALL SELECT id, reference FROM settled)"
    )
    return f"{paying}, {selling}, {emailing}, {settled}"


def _filled_if_blank(session: CheckoutSession) -> dict:
    return {
        field: value
        for field, value in (
            ("stripe_payment_intent_id", session.payment_intent_id),
            ("customer_email", session.customer_email),
        )
        if value
    }


def _closes_checkout(session: CheckoutSession) -> bool:
    return session.status in ("complete", "expired")


def _charge_recorded(session: CheckoutSession) -> tuple[dict, list[str]]:
    """What Stripe says it charged, as the order's fields, and why a text was left out: the
    money is taken, so what does not fit or add up only flags the order."""
    settlement = session.settlement
    recorded = {
        "charged_currency": session.currency,
        "charged_subtotal": session.amount_subtotal,
        "charged_total": session.amount_total,
        "charged_shipping": settlement.shipping,
        "charged_discount": settlement.discount,
        "charged_tax": settlement.tax,
        "charged_tax_included": settlement.tax_included,
    }
    texts = {
        "shipping_rate_name": settlement.shipping_rate_name,
        "promotion_code": settlement.promotion_code,
        **{
            f"shipping_{name}": getattr(session.shipping, name) for name in _shipping_detail_names()
        },
    }
    too_long = []
    limits = _text_limits()
    for field, value in texts.items():
        limit = limits[field]
        if len(value) <= limit:
            recorded[field] = value
        else:
            label = Order._meta.get_field(field).verbose_name
            too_long.append(
                f"Stripe's {label} is longer than the shop can keep ({len(value)} characters, "
                f"at most {limit}); read it on the Checkout Session."
            )
    return recorded, too_long


@functools.cache
def _shipping_detail_names() -> tuple[str, ...]:
    return tuple(field.name for field in fields(ShippingDetails))


@functools.cache
def _text_limits() -> dict[str, int]:
    """How many characters the order keeps of each text Stripe sends about the charge."""
    names = ["shipping_rate_name", "promotion_code"]
    names += [f"shipping_{name}" for name in _shipping_detail_names()]
    return {name: Order._meta.get_field(name).max_length for name in names}


def _charge_discrepancies(
    currency: str, total: Decimal, payment_intent_id: str, charged: dict
) -> list[str]:
    """Where what Stripe reported charging (`charged`, the fields _charge_recorded gives) does
    not add up with an order of this currency and total, paid through this payment."""
    reasons = []
    if charged["charged_currency"] != currency:
        shown = charged["charged_currency"].upper() or "a currency the shop cannot read"
        reasons.append(f"Stripe charged in {shown}, but the order is in {currency.upper()}.")
    else:
        reasons.extend(_amount_discrepancies(currency, total, charged))
    if not payment_intent_id:
        reasons.append(
            "Stripe reported no payment id the shop can store: refunds made at Stripe "
            "will not show on this order."
        )
    return reasons


def _amount_discrepancies(currency: str, total: Decimal, charged: dict) -> list[str]:
    """Stripe's subtotal must be the order's items, and its total the items less the discount
    plus shipping and the tax not already inside the prices."""
    parts = {
        "subtotal": charged["charged_subtotal"],
        "total": charged["charged_total"],
        "discount": charged["charged_discount"],
        "shipping amount": charged["charged_shipping"],
        "tax": charged["charged_tax"],
    }
    unreadable = [label for label, cents in parts.items() if cents is None]
    if unreadable:
        return [f"Stripe reported no {label} the shop can read." for label in unreadable]
    items = to_cents(total)
    reasons = []
    if parts["subtotal"] != items:
        reasons.append(
            f"Stripe's subtotal is {_money(currency, parts['subtotal'])}, "
            f"but the order's items come to {format_money(total, currency)}."
        )
    tax_included = charged["charged_tax_included"]
    if tax_included is None:
        if parts["tax"]:
            reasons.append(
                "Stripe reported tax without saying how much of it was inside the prices, "
                "so the total cannot be checked."
            )
        return reasons
    extras = parts["shipping amount"] + parts["tax"] - tax_included
    expected = items - parts["discount"] + extras
    if parts["total"] != expected:
        what = (
            "the order's items come to"
            if expected == items and not parts["discount"]
            else "the items less discount plus shipping and added tax come to"
        )
        reasons.append(
            f"Stripe's total is {_money(currency, parts['total'])}, but {what} "
            f"{_money(currency, expected)}."
        )
    return reasons


def _money(currency: str, cents: int) -> str:
    return format_money(from_cents(cents), currency)


def flag_for_review(order: Order, reason: str, stripe_event_id: str | None) -> bool:
    """Note why staff should look at the order (the caller saves it); say if it is new."""
    if not order.flag_for_review(reason):
        return False
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
    return True


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
