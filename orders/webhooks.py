"""Stripe's webhook events: recorded once, applied through the handler for their type.

The view has checked the signature; here each event is dispatched through EVENT_HANDLERS and
recorded (StripeEvent) with its outcome in the transaction that applies it, so a record never
claims more than was committed. A repeat of an event already applied only counts the delivery.
On PostgreSQL the first delivery of a paid session, the busiest case, is applied and recorded
by a single statement, which is its own transaction. Whatever an event needs from Stripe is
asked before any row is locked.
"""

import functools
import json
import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from background import engine
from shop.prepared_statements import execute_prepared, text_literals

from . import payments, refunds, stripe_gateway, tasks
from .models import Order, StripeEvent
from .stripe_gateway import CheckoutSession, StripeError

logger = logging.getLogger(__name__)

_TABLE = StripeEvent._meta.db_table
# What the statements recording a delivery read back, enough to answer Stripe; in the model's
# field order, as Model.from_db takes them.
_RETURNED = ["id", "order_id", "outcome", "delivery_count"]
_RETURNING = f"RETURNING {', '.join(_RETURNED)}"
# The paying statement's condition: an event recorded before pays nothing unless it failed, as
# a repeat counted first would not be applied again either.
_NOT_RECORDED = (
    f"AND NOT EXISTS (SELECT FROM {_TABLE} WHERE stripe_event_id = %s "
    f"AND outcome <> {text_literals(StripeEvent.Outcome.FAILED)})"
)
# A delivery signed this soon after its event was created is taken for the event's first.
FIRST_ATTEMPT_SECONDS = 60
# Prepared: sent for every delivery not taken for a first one, and planning it each time added
# a fifth to its time.
_COUNTING_SQL = (
    f"UPDATE {_TABLE} SET delivery_count = delivery_count + 1 "
    f"WHERE stripe_event_id = %s {_RETURNING}"
)


def handle_webhook_event(event: dict, signed_at: int | None = None) -> StripeEvent:
    """Apply a verified Stripe event once, however many times it is delivered.

    A repeat of an event already applied is acknowledged by one statement, committed on its
    own. Any other delivery is applied and recorded, outcome included, in one transaction: a
    crash before its commit leaves no record, and Stripe delivers it again.

    A paid session's event that Stripe signed (`signed_at`, the signature's time) moments after
    creating it is almost always its first delivery, so it goes straight to the statement that
    applies and records it, which also counts a repeat and pays nothing for it. Any other
    delivery is first looked for among those recorded, which for a repeat is all it costs.
    """
    lookup = None
    if event["type"] in PAYING_EVENTS and _signed_as_it_happened(event, signed_at):
        lookup = _look_up_at_stripe(event)
        applied = _apply_in_one_statement(event, lookup)
        if applied is not None:
            return applied
    counted = _count_repeat(event)
    if counted is not None and counted.outcome != StripeEvent.Outcome.FAILED:
        return counted
    if lookup is None:
        lookup = _look_up_at_stripe(event)
        if counted is None:
            applied = _apply_in_one_statement(event, lookup)
            if applied is not None:
                return applied
    return _process_event(event, lookup, counted=counted is not None)


def _signed_as_it_happened(event: dict, signed_at: int | None) -> bool:
    """Whether Stripe signed this delivery within FIRST_ATTEMPT_SECONDS of creating the event:
    Stripe sends an event as it happens and again only after a failed attempt and a back-off."""
    created = event.get("created")
    if signed_at is None or type(created) is not int:
        return False
    return signed_at - created < FIRST_ATTEMPT_SECONDS


def _count_repeat(event: dict) -> StripeEvent | None:
    """Count one more delivery of an event already recorded; None for an event never seen."""
    with connection.cursor() as cursor:
        execute_prepared(cursor, _COUNTING_SQL, [StripeEvent.storable_id(event["id"])])
        row = cursor.fetchone()
    return None if row is None else StripeEvent.from_db(connection.alias, _RETURNED, row)


def _record_outcome(
    event: dict, outcome: str, detail: str, order: Order | None, counted: bool
) -> StripeEvent:
    """Store the event with what became of it, in one statement (_recording)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _recording("VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 1)"),
            [
                *_identity(event),
                order.pk if order else None,
                outcome,
                detail,
                *_times(),
                0 if counted else 1,
            ],
        )
        row = cursor.fetchone()
    return StripeEvent.from_db(connection.alias, _RETURNED, row)


def _recording(rows: str) -> str:
    """An INSERT of `rows`, the event with what became of it, in the model's columns up to
    delivery_count. A record already there (an earlier delivery, or one made at the same moment
    by another server) takes this outcome unless it already had one other than failed: an
    event once applied stays applied."""
    keep = f"{_TABLE}.outcome <> {text_literals(StripeEvent.Outcome.FAILED)}"
    # Its one parameter after `rows`: how many deliveries to add, 0 when this one was counted
    # already because the record was there before it.
    return (
        f"INSERT INTO {_TABLE} (stripe_event_id, type, payload, order_id, outcome, detail, "
        f"received_at, processed_at, delivery_count) {rows} "
        "ON CONFLICT (stripe_event_id) DO UPDATE SET "
        f"delivery_count = {_TABLE}.delivery_count + %s, "
        f"order_id = CASE WHEN {keep} THEN {_TABLE}.order_id ELSE EXCLUDED.order_id END, "
        f"outcome = CASE WHEN {keep} THEN {_TABLE}.outcome ELSE EXCLUDED.outcome END, "
        f"detail = CASE WHEN {keep} THEN {_TABLE}.detail ELSE EXCLUDED.detail END, "
        f"processed_at = CASE WHEN {keep} THEN {_TABLE}.processed_at "
        f"ELSE EXCLUDED.processed_at END {_RETURNING}"
    )


def _identity(event: dict) -> list:
    """The event's id, type and payload, as recorded."""
    return [
        StripeEvent.storable_id(event["id"]),
        StripeEvent.storable_type(event["type"]),
        json.dumps(event),
    ]


def _times() -> list:
    """When the event was received and processed: now."""
    now = timezone.now()
    return [now, now]


def replay_event(record: StripeEvent) -> StripeEvent:
    """Apply a recorded event again, for events whose processing failed."""
    event = record.payload
    lookup = _look_up_at_stripe(event)
    with transaction.atomic():
        record = StripeEvent.objects.select_for_update().get(pk=record.pk)
        try:
            # A savepoint: an event that cannot be applied has its handler's writes undone.
            with transaction.atomic():
                record.order = _apply(event, lookup)
            record.outcome, record.detail = _outcome_applied(event)
        except NotApplied as failure:
            record.order, record.outcome, record.detail = None, failure.outcome, failure.detail
        record.processed_at = timezone.now()
        record.save(update_fields=["order", "outcome", "detail", "processed_at"])
    _log_outcome(event, record.outcome, record.detail, record.order)
    return record


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
    for an order not yet paid; the event's own session when there is nothing to expand, no order
    waits for it or Stripe cannot answer now (the payment counts either way); None when the event
    carries no session the shop can read."""
    try:
        session = stripe_gateway.session_from_event(event)
    except stripe_gateway.InvalidWebhook:
        return None
    if not session.is_paid or not session.settlement.unexpanded:
        return session
    waiting = Order.objects.filter(
        stripe_checkout_session_id=session.id, status__in=Order.ALLOWED_SOURCES[Order.Status.PAID]
    )
    if not waiting.exists():
        return session
    try:
        return stripe_gateway.retrieve_checkout_session(session.id)
    except StripeError:
        return session


def _process_event(event: dict, lookup: StripeLookup, counted: bool) -> StripeEvent:
    """Apply the event and record its outcome in one transaction; an event that cannot be
    applied has its writes rolled back and its outcome recorded alone."""
    try:
        with transaction.atomic():
            order = _apply(event, lookup)
            outcome, detail = _outcome_applied(event)
            record = _record_outcome(event, outcome, detail, order, counted)
    except NotApplied as failure:
        order, outcome, detail = None, failure.outcome, failure.detail
        record = _record_outcome(event, outcome, detail, order, counted)
    _log_outcome(event, outcome, detail, order)
    return record


def _apply_in_one_statement(event: dict, lookup: StripeLookup) -> StripeEvent | None:
    """Apply the first delivery of a paid session and record it in one statement, on
    PostgreSQL: committed on its own, it is as atomic as a transaction, in one round trip.
    None, with nothing written, when the event needs the transaction of _process_event."""
    session = lookup.session
    if (
        connection.vendor != "postgresql"
        or event["type"] not in PAYING_EVENTS
        or session is None
        or not session.is_paid
    ):
        return None
    applying = payments.paid_session_ctes(
        session, _NOT_RECORDED, (StripeEvent.storable_id(event["id"]),)
    )
    if applying is None:
        return None
    ctes, params, queued = applying
    with connection.cursor() as cursor:
        execute_prepared(
            cursor,
            _paying_statement(ctes),
            [*params, *_identity(event), 1],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    *recorded, reference, previous_status, email_id = row
    record = StripeEvent.from_db(connection.alias, _RETURNED, recorded)
    order = Order.from_db(
        connection.alias,
        ["id", "reference", "stripe_checkout_session_id"],
        [record.order_id, reference, session.id],
    )
    if email_id is not None:
        engine.announce_enqueued(tasks.send_order_email, queued, email_id)
    # The payment's one line says what the event did; a delivery that moved nothing says so.
    if previous_status is not None:
        order._log_move(previous_status, Order.Status.PAID, event["id"])
    else:
        _log_outcome(event, StripeEvent.Outcome.PROCESSED, "", order)
    return record


@functools.lru_cache(maxsize=64)
def _paying_statement(ctes: str) -> str:
    """The statement of _apply_in_one_statement around payments.paid_session_ctes, the same
    string for the same common table expressions: it names the prepared statement."""
    processed = text_literals(StripeEvent.Outcome.PROCESSED)
    recording = _recording(
        f"SELECT %s, %s, %s, applied.id, {processed}, '', statement_timestamp(), "
        "statement_timestamp(), 1 FROM applied"
    )
    return (
        f"WITH {ctes}, recorded AS ({recording}) "
        f"SELECT {', '.join(f'recorded.{column}' for column in _RETURNED)}, "
        "applied.reference, paid.previous_status, (SELECT id FROM emailed) "
        "FROM recorded CROSS JOIN applied LEFT JOIN paid ON true"
    )


class NotApplied(Exception):
    """The event changed nothing: what to record as its outcome, and why."""

    def __init__(self, outcome: str, detail: str):
        super().__init__(detail)
        self.outcome, self.detail = outcome, detail


def _apply(event: dict, lookup: StripeLookup) -> Order | None:
    """Run the event's handler, in the caller's transaction; the order it concerns."""
    handler = EVENT_HANDLERS.get(event["type"])
    if handler is None:
        return None
    try:
        if lookup.failure is not None:
            # Handled like a failure inside the handler: kept as failed, Stripe delivers again.
            raise lookup.failure
        return handler(event, lookup)
    except payments.UnknownCheckoutSession:
        raise NotApplied(StripeEvent.Outcome.IGNORED, "No matching order.") from None
    except stripe_gateway.InvalidWebhook as error:
        raise NotApplied(StripeEvent.Outcome.IGNORED, str(error)) from None
    except StripeError as error:
        raise NotApplied(StripeEvent.Outcome.FAILED, str(error)) from None


def _outcome_applied(event: dict) -> tuple[str, str]:
    if event["type"] in EVENT_HANDLERS:
        return StripeEvent.Outcome.PROCESSED, ""
    return StripeEvent.Outcome.IGNORED, "Event type not handled by the shop."


def _log_outcome(event: dict, outcome: str, detail: str, order: Order | None) -> None:
    log = logger.warning if outcome == StripeEvent.Outcome.FAILED else logger.info
    log(
        "Stripe event %s (%s): %s %s",
        event["id"],
        event["type"],
        outcome,
        detail,
        extra={
            "stripe_event_id": event["id"],
            "order_reference": order.reference if order else None,
        },
    )


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
