"""Paying a Checkout Session: by card at once, or by bank transfer that settles later."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

from stripe_emulator.checkout import CheckoutSessions, CustomerInfo
from stripe_emulator.checkout_params import is_email
from stripe_emulator.errors import conflict
from stripe_emulator.events import Events
from stripe_emulator.payment_objects import (
    BANK_TRANSFER,
    CARD,
    fail,
    new_charge,
    new_payment_intent,
    new_payment_method,
    succeed,
)
from stripe_emulator.store import JsonObject, Store

SUCCESS_CARD = "4242424242424242"
DECLINE_CARD = "4000000000000002"
CARD_DECLINED_MESSAGE = "Your card was declined."

_CARD_DECLINED = {
    "code": "card_declined",
    "decline_code": "generic_decline",
    "doc_url": "https://stripe.com/docs/error-codes/card-declined",
    "message": CARD_DECLINED_MESSAGE,
    "type": "card_error",
}
_INSUFFICIENT_FUNDS = {
    "code": "insufficient_funds",
    "message": "The customer's account has insufficient funds to cover this payment.",
    "type": "card_error",
}


class PaymentRejected(Exception):
    """A payment attempt the hosted page refuses with a message to the customer."""

    def __init__(self, message: str, event_ids: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.event_ids = list(event_ids)


class Payments:
    """Callers hold the store's lock; the settlement timers take it themselves."""

    def __init__(
        self,
        store: Store,
        events: Events,
        checkout: CheckoutSessions,
        *,
        async_settle_seconds: float | None,
    ) -> None:
        self._store = store
        self._events = events
        self._checkout = checkout
        self._async_settle_seconds = async_settle_seconds
        self._timers: list[threading.Timer] = []
        # Bumped by reset() so settlement timers from before it do nothing.
        self._generation = 0

    def reset(self) -> None:
        self._generation += 1
        self.cancel_timers()

    def cancel_timers(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    def pay(
        self,
        session_id: str,
        *,
        method: str,
        email: str | None,
        card_number: str | None,
        deliver: bool,
        info: CustomerInfo,
    ) -> list[str]:
        """Attempt payment as the hosted page would; returns the new event ids.

        Raises PaymentRejected with the customer-facing message when refused.
        """
        session = self._checkout.open_session(session_id)
        email = (email or "").strip()
        if not email:
            raise PaymentRejected("Enter your email address to pay.")
        if not is_email(email):
            raise PaymentRejected("Your email address is invalid.")
        if session["shipping_address_collection"] is not None and info.address is None:
            raise PaymentRejected("Enter your shipping address.")
        if session["phone_number_collection"]["enabled"] and not info.phone:
            raise PaymentRejected("Enter your phone number.")
        first_event = len(self._store.event_ids)
        if method == CARD:
            digits = re.sub(r"[\s-]", "", card_number or "")
            if not digits:
                raise PaymentRejected("Your card number is incomplete.")
            if digits not in (SUCCESS_CARD, DECLINE_CARD):
                raise PaymentRejected("Your card number is incorrect.")
            self._pay_by_card(session, email, info, digits, deliver)
        elif method == BANK_TRANSFER:
            self._start_bank_transfer(session, email, info, deliver)
        else:
            raise PaymentRejected("Choose a payment method.")
        return self._store.event_ids[first_event:]

    def settle(self, session_id: str, *, succeeded: bool, deliver: bool) -> list[str]:
        """Finish a delayed (bank transfer) payment; returns the new event ids."""
        session = self._store.get("checkout.session", session_id, param="session")
        if not self._awaiting_settlement(session):
            raise conflict(
                f"Checkout Session {session_id} is not awaiting a delayed "
                f"payment (status {session['status']}, payment_status "
                f"{session['payment_status']})."
            )
        first_event = len(self._store.event_ids)
        self._settle(session, succeeded=succeeded, deliver=deliver)
        return self._store.event_ids[first_event:]

    def _pay_by_card(
        self, session: JsonObject, email: str, info: CustomerInfo, digits: str, deliver: bool
    ) -> None:
        intent = self._payment_intent_for(session)
        payment_method = self._new_payment_method(CARD, email, digits[-4:])
        charge = self._new_charge(intent, payment_method, "pending")
        if digits == DECLINE_CARD:
            fail(intent, charge, payment_method, _CARD_DECLINED)
            event = self._events.emit("payment_intent.payment_failed", intent, deliver=deliver)
            raise PaymentRejected(CARD_DECLINED_MESSAGE, [event["id"]])
        intent["payment_method"] = payment_method["id"]
        succeed(intent, charge)
        self._checkout.complete(session, email, info, "paid")
        self._events.emit("payment_intent.succeeded", intent, deliver=deliver)
        self._events.emit("checkout.session.completed", session, deliver=deliver)

    def _start_bank_transfer(
        self, session: JsonObject, email: str, info: CustomerInfo, deliver: bool
    ) -> None:
        intent = self._payment_intent_for(session)
        payment_method = self._new_payment_method(BANK_TRANSFER, email, "6789")
        self._new_charge(intent, payment_method, "pending")
        intent.update(
            status="processing",
            payment_method=payment_method["id"],
            last_payment_error=None,
        )
        self._checkout.complete(session, email, info, "unpaid")
        self._events.emit("checkout.session.completed", session, deliver=deliver)
        if self._async_settle_seconds is not None:
            self._schedule_settlement(session["id"], self._async_settle_seconds)

    def _schedule_settlement(self, session_id: str, delay: float) -> None:
        timer = threading.Timer(
            delay, self._settle_automatically, args=(session_id, self._generation)
        )
        timer.daemon = True
        self._timers = [pending for pending in self._timers if pending.is_alive()]
        self._timers.append(timer)
        timer.start()

    def _settle_automatically(self, session_id: str, generation: int) -> None:
        # Runs on a timer thread, outside any caller: it takes the lock itself.
        with self._store.lock:
            session = self._store.objects.get(session_id)
            if generation != self._generation or session is None:
                return
            if self._awaiting_settlement(session):
                self._settle(session, succeeded=True, deliver=True)

    def _awaiting_settlement(self, session: JsonObject) -> bool:
        if session["status"] != "complete" or session["payment_status"] != "unpaid":
            return False
        intent = self._store.objects[session["payment_intent"]]
        return intent["status"] == "processing"

    def _settle(self, session: JsonObject, *, succeeded: bool, deliver: bool) -> None:
        intent = self._store.objects[session["payment_intent"]]
        charge = self._store.objects[intent["latest_charge"]]
        if succeeded:
            succeed(intent, charge)
            session["payment_status"] = "paid"
            self._events.emit("payment_intent.succeeded", intent, deliver=deliver)
            self._events.emit("checkout.session.async_payment_succeeded", session, deliver=deliver)
            return
        payment_method = self._store.objects[charge["payment_method"]]
        fail(intent, charge, payment_method, _INSUFFICIENT_FUNDS)
        self._events.emit("payment_intent.payment_failed", intent, deliver=deliver)
        self._events.emit("checkout.session.async_payment_failed", session, deliver=deliver)

    def _payment_intent_for(self, session: JsonObject) -> JsonObject:
        if session["payment_intent"] is not None:
            intent = self._store.objects[session["payment_intent"]]
            # The customer may have changed shipping or the discount since the last attempt.
            intent["amount"] = session["amount_total"]
            return intent
        template = self._store.payment_intent_templates[session["id"]]
        intent = self._store.add(new_payment_intent(session, template, self._store.now()))
        session["payment_intent"] = intent["id"]
        return intent

    def _new_payment_method(self, method: str, email: str, last4: str) -> JsonObject:
        return self._store.add(new_payment_method(method, email, last4, self._store.now()))

    def _new_charge(
        self, intent: JsonObject, payment_method: JsonObject, status: str
    ) -> JsonObject:
        charge = self._store.add(new_charge(intent, payment_method, status, self._store.now()))
        intent["latest_charge"] = charge["id"]
        return charge
