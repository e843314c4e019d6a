"""Refunds of a succeeded charge, whole or in parts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stripe_emulator.errors import invalid_parameter, invalid_request, no_such
from stripe_emulator.events import Events
from stripe_emulator.expansion import expanded
from stripe_emulator.money import format_amount
from stripe_emulator.params import get_int, get_metadata, get_string, get_string_list
from stripe_emulator.store import JsonObject, RequestInfo, Store, new_id

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
# What a new refund's parameters may hold here; anything else the SDK knows is refused.
IMPLEMENTED_REFUND_PARAMS = {
    "amount": None,
    "charge": None,
    "expand": None,
    "metadata": None,
    "payment_intent": None,
    "reason": None,
}


class Refunds:
    """Callers hold the store's lock."""

    def __init__(self, store: Store, events: Events) -> None:
        self._store = store
        self._events = events

    def create_refund(self, params: Mapping[str, Any], request: RequestInfo) -> JsonObject:
        amount = get_int(params, "amount", minimum=1)
        reason = get_string(params, "reason")
        if reason is not None and reason not in REFUND_REASONS:
            raise invalid_parameter(
                "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
                param="reason",
            )
        metadata = get_metadata(params)
        expand = get_string_list(params, "expand")
        charge = self._refundable_charge(params)
        amount = _refund_amount(charge, amount)
        refund = self._store.add(
            {
                "id": new_id("re_"),
                "object": "refund",
                "amount": amount,
                "balance_transaction": None,
                "charge": charge["id"],
                "created": self._store.now(),
                "currency": charge["currency"],
                "destination_details": None,
                "metadata": metadata,
                "payment_intent": charge["payment_intent"],
                "reason": reason,
                "receipt_number": None,
                "source_transfer_reversal": None,
                "status": "succeeded",
                "transfer_reversal": None,
            }
        )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount_captured"]
        self._events.emit("charge.refunded", charge, deliver=True, request=request)
        return expanded(self._store, refund, expand)

    def _refundable_charge(self, params: Mapping[str, Any]) -> JsonObject:
        intent_id = get_string(params, "payment_intent")
        charge_id = get_string(params, "charge")
        if intent_id is None and charge_id is None:
            raise invalid_parameter(
                "One of the following params should be provided for this request: "
                "payment_intent or charge."
            )
        if charge_id is not None:
            return self._succeeded_charge(charge_id, intent_id)
        intent = self._store.objects.get(intent_id or "")
        if intent is None or intent["object"] != "payment_intent":
            raise no_such("payment_intent", intent_id or "", param="payment_intent")
        if intent["status"] != "succeeded":
            raise invalid_request(
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                param="payment_intent",
            )
        return self._store.objects[intent["latest_charge"]]

    def _succeeded_charge(self, charge_id: str, intent_id: str | None) -> JsonObject:
        charge = self._store.objects.get(charge_id)
        if charge is None or charge["object"] != "charge":
            raise no_such("charge", charge_id, param="charge")
        if charge["status"] != "succeeded":
            raise invalid_request(
                f"Charge {charge_id} has not succeeded and cannot be refunded.",
                param="charge",
            )
        if intent_id not in (None, charge["payment_intent"]):
            raise invalid_request(
                f"Charge {charge_id} does not belong to PaymentIntent {intent_id}.",
                param="charge",
            )
        return charge


def _refund_amount(charge: JsonObject, requested: int | None) -> int:
    """The amount to refund: what was asked, or all that is left; never more than is left."""
    remaining = charge["amount_captured"] - charge["amount_refunded"]
    if remaining <= 0:
        raise invalid_request(
            f"Charge {charge['id']} has already been refunded.",
            code="charge_already_refunded",
        )
    if requested is None:
        return remaining
    if requested > remaining:
        currency = charge["currency"]
        raise invalid_request(
            f"Refund amount ({format_amount(requested, currency)}) is greater "
            "than unrefunded amount on charge "
            f"({format_amount(remaining, currency)})",
            param="amount",
        )
    return requested
