"""Events, Checkout Sessions and charges shaped as Stripe sends them to a webhook endpoint.

For hand-made events (tests, demo data, a simulated webhook) and for the events the
emulator emits. Keyword `fields` add or override any key, so a caller can send what
Stripe never would.
"""

from __future__ import annotations

import time
from typing import Any

from stripe_emulator.store import API_VERSION, JsonObject, new_id


def event(
    event_type: str,
    data_object: JsonObject,
    event_id: str | None = None,
    *,
    created: int | None = None,
    pending_webhooks: int = 1,
    request_id: str | None = None,
    idempotency_key: str | None = None,
) -> JsonObject:
    """An event carrying `data_object`; a fresh id and the current time unless given."""
    return {
        "id": event_id or new_id("evt_"),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()) if created is None else created,
        "data": {"object": data_object},
        "livemode": False,
        "pending_webhooks": pending_webhooks,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": event_type,
    }


def checkout_session(
    session_id: str,
    *,
    amount_total: int,
    amount_subtotal: int | None = None,
    currency: str = "usd",
    status: str = "complete",
    payment_status: str = "paid",
    payment_intent: str | None = None,
    client_reference_id: str | None = None,
    customer_email: str | None = None,
    metadata: JsonObject | None = None,
    **fields: Any,
) -> JsonObject:
    """A Checkout Session in payment mode; paid and complete unless told otherwise."""
    return {
        "id": session_id,
        "object": "checkout.session",
        "amount_subtotal": amount_total if amount_subtotal is None else amount_subtotal,
        "amount_total": amount_total,
        "client_reference_id": client_reference_id,
        "currency": currency,
        "customer_details": {"email": customer_email},
        "customer_email": customer_email,
        "livemode": False,
        "metadata": metadata or {},
        "mode": "payment",
        "payment_intent": payment_intent,
        "payment_status": payment_status,
        "status": status,
        **fields,
    }


def charge(
    charge_id: str,
    *,
    amount: int,
    payment_intent: str | None,
    amount_refunded: int = 0,
    currency: str = "usd",
    **fields: Any,
) -> JsonObject:
    """A succeeded charge of `amount`, of which `amount_refunded` has gone back."""
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": amount_refunded,
        "currency": currency,
        "livemode": False,
        "payment_intent": payment_intent,
        "refunded": amount_refunded >= amount,
        "status": "succeeded",
        **fields,
    }
