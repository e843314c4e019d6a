"""PaymentIntents, payment methods and charges as Stripe shows them, and their status moves."""

from __future__ import annotations

import copy

from stripe_emulator.store import JsonObject, new_id

CARD = "card"
BANK_TRANSFER = "us_bank_account"


def new_payment_intent(session: JsonObject, template: JsonObject, now: int) -> JsonObject:
    intent_id = new_id("pi_")
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": session["amount_total"],
        "amount_capturable": 0,
        "amount_received": 0,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic_async",
        "client_secret": f"{intent_id}_secret_{new_id('', 25)}",
        "confirmation_method": "automatic",
        "created": now,
        "currency": session["currency"],
        "customer": None,
        "description": template["description"],
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": copy.deepcopy(template["metadata"]),
        "next_action": None,
        "payment_method": None,
        "payment_method_types": [CARD, BANK_TRANSFER],
        "processing": None,
        "receipt_email": None,
        "status": "requires_payment_method",
    }


def new_payment_method(method: str, email: str, last4: str, now: int) -> JsonObject:
    return {
        "id": new_id("pm_"),
        "object": "payment_method",
        "billing_details": {
            "address": None,
            "email": email,
            "name": None,
            "phone": None,
        },
        method: _method_details(method, last4),
        "created": now,
        "customer": None,
        "livemode": False,
        "metadata": {},
        "type": method,
    }


def _method_details(method: str, last4: str) -> JsonObject:
    if method == CARD:
        return {
            "brand": "visa",
            "country": "US",
            "exp_month": 12,
            "exp_year": 2034,
            "funding": "credit",
            "last4": last4,
        }
    return {
        "account_holder_type": "individual",
        "account_type": "checking",
        "bank_name": "STRIPE TEST BANK",
        "last4": last4,
        "routing_number": "110000000",
    }


def new_charge(intent: JsonObject, payment_method: JsonObject, status: str, now: int) -> JsonObject:
    method = payment_method["type"]
    return {
        "id": new_id("ch_"),
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": 0,
        "amount_refunded": 0,
        "balance_transaction": None,
        "billing_details": copy.deepcopy(payment_method["billing_details"]),
        "captured": False,
        "created": now,
        "currency": intent["currency"],
        "customer": None,
        "description": intent["description"],
        "disputed": False,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": {},
        "paid": False,
        "payment_intent": intent["id"],
        "payment_method": payment_method["id"],
        "payment_method_details": {
            "type": method,
            method: copy.deepcopy(payment_method[method]),
        },
        "receipt_email": None,
        "refunded": False,
        "status": status,
    }


def succeed(intent: JsonObject, charge: JsonObject) -> None:
    charge.update(status="succeeded", paid=True, captured=True, amount_captured=charge["amount"])
    intent.update(status="succeeded", amount_received=intent["amount"], last_payment_error=None)


def fail(
    intent: JsonObject, charge: JsonObject, payment_method: JsonObject, error: JsonObject
) -> None:
    charge.update(status="failed", failure_code=error["code"], failure_message=error["message"])
    intent.update(
        status="requires_payment_method",
        payment_method=None,
        last_payment_error={
            "charge": charge["id"],
            **error,
            "payment_method": copy.deepcopy(payment_method),
        },
    )
