"""Stripe's webhook events: recorded once, applied through the handler for their type.

The view has checked the signature; here each event is recorded (StripeEvent) and dispatched
through EVENT_HANDLERS. Whatever an event needs from Stripe is asked before any row is locked.
"""

import json
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from . import payments, refunds, stripe_gateway
from .models import Order, StripeEvent
from .stripe_gateway import CheckoutSession, StripeError

logger = logging.getLogger(__name__)


def handle_webhook_event(event: dict) -> StripeEvent:
    """Apply a verified Stripe event once, however many times it is delivered.

    Inside its transaction, a repeat of an event already applied costs the one statement that
    records the delivery; a first delivery adds its handler's statements (a payment: lock and
    update the order) and one UPDATE of the record.
    """
    lookup = _look_up_at_stripe(event)
    with transaction.atomic():
        # A concurrent delivery of the same event waits here until the first one commits.
        record = _record_delivery(event)
        if record.delivery_count > 1 and record.outcome != StripeEvent.Outcome.FAILED:
            return record
        return _process_event(record, event, lookup)


def _record_delivery(event: dict) -> StripeEvent:
    """Store a first delivery (as failed until processed) or count a repeat, in one statement
    that locks the event's row until the transaction ends."""
    table = StripeEvent._meta.db_table
    recorded = StripeEvent.objects.raw(
        f"INSERT INTO {table} "
        "(stripe_event_id, type, payload, outcome, detail, received_at, delivery_count) "
        "VALUES (%s, %s, %s::jsonb, %s, '', %s, 1) "
        f"ON CONFLICT (stripe_event_id) DO UPDATE SET delivery_count = {table}.delivery_count + 1 "
        "RETURNING *",
        [
            StripeEvent.storable_id(event["id"]),
            StripeEvent.storable_type(event["type"]),
            json.dumps(event),
            StripeEvent.Outcome.FAILED,
            timezone.now(),
        ],
    )
    return list(recorded)[0]


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
    if event["type"] in PAYING_EVENTS:
        return StripeLookup(session=_settled_session(event))
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


def _settled_session(event: dict) -> CheckoutSession | None:
    """The paid session with the discount, tax and shipping rate its event leaves unexpanded,
    for an order not yet paid; None when there is nothing to expand, no order waits for it or
    Stripe cannot answer now: the event's own session is applied then (the payment counts
    either way)."""
    try:
        session = stripe_gateway.session_from_event(event)
    except stripe_gateway.InvalidWebhook:
        return None
    if not session.is_paid or not session.settlement.unexpanded:
        return None
    waiting = Order.objects.filter(
        stripe_checkout_session_id=session.id, status__in=Order.ALLOWED_SOURCES[Order.Status.PAID]
    )
    if not waiting.exists():
        return None
    try:
        return stripe_gateway.retrieve_checkout_session(session.id)
    except StripeError:
        return None


def _process_event(record: StripeEvent, event: dict, lookup: StripeLookup) -> StripeEvent:
    handler = EVENT_HANDLERS.get(event["type"])
    try:
        if lookup.failure is not None:
            # Handled like a failure inside the handler: kept as failed, Stripe delivers again.
            raise lookup.failure
        with transaction.atomic():
            order = handler(event, lookup) if handler else None
    except payments.UnknownCheckoutSession:
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
    session = lookup.session or stripe_gateway.session_from_event(event)
    return payments.apply_checkout_session(session, event["id"])


def _on_charge_refunded(event: dict, lookup: StripeLookup) -> Order:
    return refunds.apply_refund(
        stripe_gateway.charge_from_event(event), lookup.session, event["id"]
    )


# Events that can move an order to paid: the order then records what Stripe settled.
PAYING_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")

EVENT_HANDLERS = {
    "checkout.session.completed": _on_checkout_session_event,
    "checkout.session.async_payment_succeeded": _on_checkout_session_event,
    "checkout.session.async_payment_failed": _on_checkout_session_event,
    "checkout.session.expired": _on_checkout_session_event,
    "charge.refunded": _on_charge_refunded,
}
