"""The emulated Stripe account: one door to its resources, guarding them with one lock.

Each resource lives in its own module (checkout, payments, refunds, events) over a
shared store (store, expansion). Every public method here takes the store's lock
for the whole call, so HTTP threads, settlement timers and test controls see
consistent state; the resource parts assume the lock is held and never take it,
except the settlement timers, which start outside any call.

The names other modules use are re-exported here, so they import from one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from stripe_emulator.checkout import (
    CHECKOUT_SESSION_ID_PLACEHOLDER,
    SESSION_STATUSES,
    CheckoutSessions,
    CheckoutView,
    ChoiceRejected,
    CustomerInfo,
)
from stripe_emulator.checkout_params import (
    IMPLEMENTED_SESSION_PARAMS,
    MAX_CHECKOUT_AMOUNT,
    MAX_EXPIRY_SECONDS,
    MAX_LINE_ITEMS,
    MIN_CHECKOUT_AMOUNT,
    MIN_EXPIRY_SECONDS,
)
from stripe_emulator.events import EVENT_TYPES, Events
from stripe_emulator.expansion import EXPANDED_LINE_ITEMS_LIMIT, expanded
from stripe_emulator.params import get_string_list
from stripe_emulator.payment_objects import BANK_TRANSFER, CARD
from stripe_emulator.payments import (
    CARD_DECLINED_MESSAGE,
    DECLINE_CARD,
    SUCCESS_CARD,
    PaymentRejected,
    Payments,
)
from stripe_emulator.promotions import seed_test_promotions
from stripe_emulator.refunds import IMPLEMENTED_REFUND_PARAMS, REFUND_REASONS, Refunds
from stripe_emulator.store import API_VERSION, JsonObject, RequestInfo, Store, new_id
from stripe_emulator.webhooks import WebhookDispatcher

__all__ = [
    "API_VERSION",
    "BANK_TRANSFER",
    "CARD",
    "CARD_DECLINED_MESSAGE",
    "CHECKOUT_SESSION_ID_PLACEHOLDER",
    "DECLINE_CARD",
    "EVENT_TYPES",
    "EXPANDED_LINE_ITEMS_LIMIT",
    "IMPLEMENTED_REFUND_PARAMS",
    "IMPLEMENTED_SESSION_PARAMS",
    "MAX_CHECKOUT_AMOUNT",
    "MAX_EXPIRY_SECONDS",
    "MAX_LINE_ITEMS",
    "MIN_CHECKOUT_AMOUNT",
    "MIN_EXPIRY_SECONDS",
    "REFUND_REASONS",
    "SESSION_STATUSES",
    "SUCCESS_CARD",
    "Account",
    "CheckoutView",
    "ChoiceRejected",
    "CustomerInfo",
    "JsonObject",
    "PaymentRejected",
    "RequestInfo",
    "new_id",
]


class Account:
    def __init__(
        self,
        *,
        dispatcher: WebhookDispatcher,
        async_settle_seconds: float | None,
        clock: Callable[[], float],
    ) -> None:
        self._store = Store(clock)
        self._events = Events(self._store, dispatcher)
        self._checkout = CheckoutSessions(self._store, self._events)
        self._payments = Payments(
            self._store,
            self._events,
            self._checkout,
            async_settle_seconds=async_settle_seconds,
        )
        self._refunds = Refunds(self._store, self._events)
        self.lock = self._store.lock
        seed_test_promotions(self._store)

    @property
    def base_url(self) -> str:
        return self._store.base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        with self.lock:
            self._store.base_url = value

    def reset(self) -> None:
        with self.lock:
            self._payments.reset()
            self._store.clear()
            seed_test_promotions(self._store)

    def cancel_timers(self) -> None:
        with self.lock:
            self._payments.cancel_timers()

    # The API

    def create_session(self, params: Mapping[str, Any], request: RequestInfo) -> JsonObject:
        with self._caught_up():
            return self._checkout.create_session(params)

    def retrieve_session(self, session_id: str, params: Mapping[str, Any]) -> JsonObject:
        with self._caught_up():
            return self._checkout.retrieve_session(session_id, params)

    def list_sessions(self, params: Mapping[str, Any]) -> JsonObject:
        with self._caught_up():
            return self._checkout.list_sessions(params)

    def list_line_items(self, session_id: str, params: Mapping[str, Any]) -> JsonObject:
        with self.lock:
            return self._checkout.list_line_items(session_id, params)

    def expire_session(
        self, session_id: str, params: Mapping[str, Any], request: RequestInfo
    ) -> JsonObject:
        with self._caught_up():
            return self._checkout.expire_session(session_id, params, request)

    def retrieve(
        self, object_name: str, object_id: str, params: Mapping[str, Any], param: str
    ) -> JsonObject:
        with self._caught_up():
            found = self._store.get(object_name, object_id, param=param)
            return expanded(self._store, found, get_string_list(params, "expand"))

    def create_refund(self, params: Mapping[str, Any], request: RequestInfo) -> JsonObject:
        with self._caught_up():
            return self._refunds.create_refund(params, request)

    def list_events(self, params: Mapping[str, Any]) -> JsonObject:
        with self._caught_up():
            return self._events.list_events(params)

    # The hosted payment page and the test controls

    def checkout_view(self, session_id: str) -> CheckoutView | None:
        with self._caught_up():
            return self._checkout.checkout_view(session_id)

    def pay(
        self,
        session_id: str,
        *,
        method: str,
        email: str | None,
        card_number: str | None = None,
        deliver: bool = True,
        info: CustomerInfo | None = None,
    ) -> list[str]:
        """Attempt payment as the hosted page would; returns the new event ids.

        Raises PaymentRejected with the customer-facing message when refused.
        """
        with self._caught_up():
            return self._payments.pay(
                session_id,
                method=method,
                email=email,
                card_number=card_number,
                deliver=deliver,
                info=info or CustomerInfo(),
            )

    def choose(
        self,
        session_id: str,
        *,
        shipping_rate_id: str | None = None,
        promotion_code: str | None = None,
        tax_country: str | None = None,
    ) -> None:
        """Apply the customer's choices on the payment page; raises ChoiceRejected."""
        with self._caught_up():
            self._checkout.choose(
                session_id,
                shipping_rate_id=shipping_rate_id,
                promotion_code=promotion_code,
                tax_country=tax_country,
            )

    def settle(self, session_id: str, *, succeeded: bool, deliver: bool) -> list[str]:
        """Finish a delayed (bank transfer) payment; returns the new event ids."""
        with self.lock:
            return self._payments.settle(session_id, succeeded=succeeded, deliver=deliver)

    def session_state(self, session_id: str) -> JsonObject:
        """The session with its PaymentIntent expanded, for control answers."""
        with self.lock:
            return self._checkout.session_state(session_id)

    def expire_sessions(self, session_id: str | None) -> list[str]:
        with self._caught_up():
            return self._checkout.expire_sessions(session_id)

    def fire_event(self, session_id: str, event_type: str, *, deliver: bool) -> JsonObject:
        """Emit an event built from the session's current objects, as is."""
        with self.lock:
            return self._events.fire_event(session_id, event_type, deliver=deliver)

    def deliver(self, event_ids: list[str]) -> None:
        """Queue existing events for delivery in exactly the given order."""
        with self.lock:
            self._events.deliver(event_ids)

    @contextmanager
    def _caught_up(self) -> Iterator[None]:
        """Hold the lock, first expiring the sessions whose time ran out since the last call."""
        with self.lock:
            self._checkout.expire_overdue()
            yield
