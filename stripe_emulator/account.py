"""The emulated Stripe account: its objects, their state changes and events.

Objects are kept as the JSON dicts Stripe would answer with. Every public method
takes the account lock, so HTTP threads, settlement timers and test controls
see consistent state.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import logging
import re
import secrets
import string
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import stripe

from stripe_emulator.errors import (
    StripeError,
    conflict,
    invalid_parameter,
    invalid_request,
    no_such,
)
from stripe_emulator.money import format_amount
from stripe_emulator.params import (
    get_dict,
    get_int,
    get_list,
    get_metadata,
    get_string,
    get_string_list,
)
from stripe_emulator.webhooks import WebhookDispatcher

logger = logging.getLogger(__name__)

# Captured once: the shop may later assign stripe.api_version for its own calls.
API_VERSION: str = stripe.api_version

EVENT_TYPES = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
)
SESSION_STATUSES = ("open", "complete", "expired")
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")

CARD = "card"
BANK_TRANSFER = "us_bank_account"
SUCCESS_CARD = "4242424242424242"
DECLINE_CARD = "4000000000000002"
CARD_DECLINED_MESSAGE = "Your card was declined."

MIN_CHECKOUT_AMOUNT = 50
MAX_CHECKOUT_AMOUNT = 99_999_999
MAX_LINE_ITEMS = 100
MIN_EXPIRY_SECONDS = 30 * 60
MAX_EXPIRY_SECONDS = 24 * 60 * 60
EXPANDED_LINE_ITEMS_LIMIT = 10
CHECKOUT_SESSION_ID_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"

_ID_ALPHABET = string.ascii_letters + string.digits
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CURRENCY = re.compile(r"^[a-z]{3}$")

JsonObject = dict[str, Any]


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class RequestInfo:
    """The API request that caused an event, echoed in the event's `request`."""

    request_id: str
    idempotency_key: str | None


class PaymentRejected(Exception):
    """A payment attempt the hosted page refuses with a message to the customer."""

    def __init__(self, message: str, event_ids: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.event_ids = list(event_ids)


@dataclass(frozen=True)
class CheckoutView:
    """What the hosted page needs to render one session."""

    session: JsonObject
    line_items: list[JsonObject]


class Account:
    def __init__(
        self,
        *,
        dispatcher: WebhookDispatcher,
        async_settle_seconds: float | None,
        clock: Callable[[], float],
    ) -> None:
        self.lock = threading.RLock()
        self.base_url = ""
        self._dispatcher = dispatcher
        self._async_settle_seconds = async_settle_seconds
        self._clock = clock
        self._timers: list[threading.Timer] = []
        # Bumped by reset() so settlement timers from before it do nothing.
        self._generation = 0
        self._clear_objects()

    def _clear_objects(self) -> None:
        self._objects: dict[str, JsonObject] = {}
        self._session_ids: list[str] = []
        self._event_ids: list[str] = []
        self._line_items: dict[str, list[JsonObject]] = {}
        self._payment_intent_templates: dict[str, JsonObject] = {}

    def reset(self) -> None:
        with self.lock:
            self._generation += 1
            self.cancel_timers()
            self._clear_objects()

    def cancel_timers(self) -> None:
        with self.lock:
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()

    # Checkout Sessions

    def create_session(self, params: Mapping[str, Any], request: RequestInfo) -> JsonObject:
        with self.lock:
            self._expire_overdue()
            now = self._now()
            self._check_mode(params)
            success_url = _url_param(params, "success_url", required=True)
            cancel_url = _url_param(params, "cancel_url")
            items = get_list(params, "line_items", required=True) or []
            if len(items) > MAX_LINE_ITEMS:
                raise invalid_parameter(
                    f"You may only specify up to {MAX_LINE_ITEMS} line items; "
                    f"you passed {len(items)}.",
                    param="line_items",
                )
            drafts = [_parse_line_item(item, index) for index, item in enumerate(items)]
            currency = _single_currency(drafts)
            total = sum(draft.amount for draft in drafts)
            _check_total(total, currency)
            expires_at = _expires_at(params, now)
            customer_email = get_string(params, "customer_email", max_length=800)
            if customer_email is not None and not _EMAIL.match(customer_email):
                raise invalid_parameter(
                    f"Invalid email address: {customer_email}",
                    param="customer_email",
                    code="email_invalid",
                )
            client_reference_id = get_string(params, "client_reference_id", max_length=200)
            metadata = get_metadata(params)
            intent_data = get_dict(params, "payment_intent_data") or {}
            intent_template = {
                "description": get_string(intent_data, "description", prefix="payment_intent_data"),
                "metadata": get_metadata(intent_data, prefix="payment_intent_data"),
            }
            expand = get_string_list(params, "expand")

            session_id = new_id("cs_test_", 58)
            session = {
                "id": session_id,
                "object": "checkout.session",
                "after_expiration": None,
                "allow_promotion_codes": None,
                "amount_subtotal": total,
                "amount_total": total,
                "automatic_tax": {
                    "enabled": False,
                    "liability": None,
                    "provider": None,
                    "status": None,
                },
                "billing_address_collection": None,
                "cancel_url": cancel_url,
                "client_reference_id": client_reference_id,
                "client_secret": None,
                "consent": None,
                "consent_collection": None,
                "created": now,
                "currency": currency,
                "custom_fields": [],
                "custom_text": {
                    "after_submit": None,
                    "shipping_address": None,
                    "submit": None,
                    "terms_of_service_acceptance": None,
                },
                "customer": None,
                "customer_creation": "if_required",
                "customer_details": None,
                "customer_email": customer_email,
                "expires_at": expires_at,
                "invoice": None,
                "invoice_creation": None,
                "livemode": False,
                "locale": None,
                "metadata": metadata,
                "mode": "payment",
                "payment_intent": None,
                "payment_link": None,
                "payment_method_collection": "if_required",
                "payment_method_options": {},
                "payment_method_types": [CARD, BANK_TRANSFER],
                "payment_status": "unpaid",
                "phone_number_collection": {"enabled": False},
                "recovered_from": None,
                "setup_intent": None,
                "shipping_address_collection": None,
                "shipping_cost": None,
                "shipping_options": [],
                "status": "open",
                "submit_type": None,
                "subscription": None,
                "success_url": success_url,
                "total_details": {
                    "amount_discount": 0,
                    "amount_shipping": 0,
                    "amount_tax": 0,
                },
                "ui_mode": "hosted",
                "url": f"{self.base_url}/c/pay/{session_id}",
            }
            self._line_items[session_id] = [self._store_line_item(draft, now) for draft in drafts]
            self._payment_intent_templates[session_id] = intent_template
            self._objects[session_id] = session
            self._session_ids.append(session_id)
            return self._expanded(session, expand)

    def retrieve_session(self, session_id: str, params: Mapping[str, Any]) -> JsonObject:
        with self.lock:
            self._expire_overdue()
            session = self._get("checkout.session", session_id, param="session")
            return self._expanded(session, get_string_list(params, "expand"))

    def list_sessions(self, params: Mapping[str, Any]) -> JsonObject:
        with self.lock:
            self._expire_overdue()
            _reject_unsupported_filters(params, {"status", "payment_intent"})
            status = get_string(params, "status")
            if status is not None and status not in SESSION_STATUSES:
                raise invalid_parameter(
                    "Invalid status: must be one of complete, expired, or open",
                    param="status",
                )
            payment_intent = get_string(params, "payment_intent")
            sessions = [self._objects[session_id] for session_id in reversed(self._session_ids)]
            matching = [
                session
                for session in sessions
                if status in (None, session["status"])
                and payment_intent in (None, session["payment_intent"])
            ]
            page = _paginate(matching, params, "/v1/checkout/sessions", "checkout.session")
            return self._expanded_list(page, get_string_list(params, "expand"))

    def list_line_items(self, session_id: str, params: Mapping[str, Any]) -> JsonObject:
        with self.lock:
            self._get("checkout.session", session_id, param="session")
            page = _paginate(
                self._line_items[session_id],
                params,
                f"/v1/checkout/sessions/{session_id}/line_items",
                "item",
            )
            return self._expanded_list(page, get_string_list(params, "expand"))

    def expire_session(
        self, session_id: str, params: Mapping[str, Any], request: RequestInfo
    ) -> JsonObject:
        with self.lock:
            self._expire_overdue()
            session = self._get("checkout.session", session_id, param="session")
            if session["status"] != "open":
                raise invalid_request(
                    "Only Checkout Sessions with a status in ['open'] can be "
                    "expired. This Checkout Session has a status of "
                    f"{session['status']}."
                )
            self._expire(session, request)
            return self._expanded(session, get_string_list(params, "expand"))

    # Other resources

    def retrieve(
        self, object_name: str, object_id: str, params: Mapping[str, Any], param: str
    ) -> JsonObject:
        with self.lock:
            self._expire_overdue()
            found = self._get(object_name, object_id, param=param)
            return self._expanded(found, get_string_list(params, "expand"))

    def create_refund(self, params: Mapping[str, Any], request: RequestInfo) -> JsonObject:
        with self.lock:
            self._expire_overdue()
            amount = get_int(params, "amount", minimum=1)
            reason = get_string(params, "reason")
            if reason is not None and reason not in REFUND_REASONS:
                raise invalid_parameter(
                    "Invalid reason: must be one of duplicate, fraudulent, or "
                    "requested_by_customer",
                    param="reason",
                )
            metadata = get_metadata(params)
            expand = get_string_list(params, "expand")
            charge = self._refundable_charge(params)
            remaining = charge["amount_captured"] - charge["amount_refunded"]
            if remaining <= 0:
                raise invalid_request(
                    f"Charge {charge['id']} has already been refunded.",
                    code="charge_already_refunded",
                )
            if amount is None:
                amount = remaining
            elif amount > remaining:
                currency = charge["currency"]
                raise invalid_request(
                    f"Refund amount ({format_amount(amount, currency)}) is greater "
                    "than unrefunded amount on charge "
                    f"({format_amount(remaining, currency)})",
                    param="amount",
                )
            refund = {
                "id": new_id("re_"),
                "object": "refund",
                "amount": amount,
                "balance_transaction": None,
                "charge": charge["id"],
                "created": self._now(),
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
            self._objects[refund["id"]] = refund
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] == charge["amount_captured"]
            self._emit("charge.refunded", charge, deliver=True, request=request)
            return self._expanded(refund, expand)

    def _refundable_charge(self, params: Mapping[str, Any]) -> JsonObject:
        intent_id = get_string(params, "payment_intent")
        charge_id = get_string(params, "charge")
        if intent_id is None and charge_id is None:
            raise invalid_parameter(
                "One of the following params should be provided for this request: "
                "payment_intent or charge."
            )
        if charge_id is not None:
            charge = self._objects.get(charge_id)
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
        intent = self._objects.get(intent_id or "")
        if intent is None or intent["object"] != "payment_intent":
            raise no_such("payment_intent", intent_id or "", param="payment_intent")
        if intent["status"] != "succeeded":
            raise invalid_request(
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                param="payment_intent",
            )
        return self._objects[intent["latest_charge"]]

    # Events

    def list_events(self, params: Mapping[str, Any]) -> JsonObject:
        with self.lock:
            self._expire_overdue()
            _reject_unsupported_filters(params, {"type", "types"})
            single = get_string(params, "type")
            several = get_string_list(params, "types")
            if single is not None and several:
                raise invalid_parameter(
                    "You may only specify one of these parameters: type, types.",
                    param="types",
                )
            patterns = [single] if single is not None else several
            events = [self._objects[event_id] for event_id in reversed(self._event_ids)]
            matching = [
                event
                for event in events
                if not patterns or any(fnmatch.fnmatchcase(event["type"], p) for p in patterns)
            ]
            page = _paginate(matching, params, "/v1/events", "event")
            return self._expanded_list(page, get_string_list(params, "expand"))

    # The hosted payment page and the test controls

    def checkout_view(self, session_id: str) -> CheckoutView | None:
        with self.lock:
            self._expire_overdue()
            session = self._objects.get(session_id)
            if session is None or session["object"] != "checkout.session":
                return None
            return CheckoutView(copy.deepcopy(session), copy.deepcopy(self._line_items[session_id]))

    def pay(
        self,
        session_id: str,
        *,
        method: str,
        email: str | None,
        card_number: str | None = None,
        deliver: bool = True,
    ) -> list[str]:
        """Attempt payment as the hosted page would; returns the new event ids.

        Raises PaymentRejected with the customer-facing message when refused.
        """
        with self.lock:
            self._expire_overdue()
            session = self._open_session(session_id)
            email = (email or "").strip()
            if not email:
                raise PaymentRejected("Enter your email address to pay.")
            if not _EMAIL.match(email):
                raise PaymentRejected("Your email address is invalid.")
            first_event = len(self._event_ids)
            if method == CARD:
                digits = re.sub(r"[\s-]", "", card_number or "")
                if not digits:
                    raise PaymentRejected("Your card number is incomplete.")
                if digits not in (SUCCESS_CARD, DECLINE_CARD):
                    raise PaymentRejected("Your card number is incorrect.")
                self._pay_by_card(session, email, digits, deliver)
            elif method == BANK_TRANSFER:
                self._start_bank_transfer(session, email, deliver)
            else:
                raise PaymentRejected("Choose a payment method.")
            return self._event_ids[first_event:]

    def settle(self, session_id: str, *, succeeded: bool, deliver: bool) -> list[str]:
        """Finish a delayed (bank transfer) payment; returns the new event ids."""
        with self.lock:
            session = self._get("checkout.session", session_id, param="session")
            if not self._awaiting_settlement(session):
                raise conflict(
                    f"Checkout Session {session_id} is not awaiting a delayed "
                    f"payment (status {session['status']}, payment_status "
                    f"{session['payment_status']})."
                )
            first_event = len(self._event_ids)
            self._settle(session, succeeded=succeeded, deliver=deliver)
            return self._event_ids[first_event:]

    def session_state(self, session_id: str) -> JsonObject:
        """The session with its PaymentIntent expanded, for control answers."""
        with self.lock:
            session = self._get("checkout.session", session_id, param="session")
            return self._expanded(session, ["payment_intent"])

    def expire_sessions(self, session_id: str | None) -> list[str]:
        with self.lock:
            self._expire_overdue()
            if session_id is not None:
                sessions = [self._open_session(session_id)]
            else:
                sessions = [
                    self._objects[sid]
                    for sid in self._session_ids
                    if self._objects[sid]["status"] == "open"
                ]
            for session in sessions:
                self._expire(session, None)
            return [session["id"] for session in sessions]

    def fire_event(self, session_id: str, event_type: str, *, deliver: bool) -> JsonObject:
        """Emit an event built from the session's current objects, as is."""
        with self.lock:
            if event_type not in EVENT_TYPES:
                raise invalid_parameter(
                    f"Unsupported event type: {event_type}. Use one of " + ", ".join(EVENT_TYPES),
                    param="type",
                )
            session = self._get("checkout.session", session_id, param="session")
            subject = session
            if not event_type.startswith("checkout.session."):
                if session["payment_intent"] is None:
                    raise conflict(f"Checkout Session {session_id} has no PaymentIntent yet.")
                subject = self._objects[session["payment_intent"]]
            if event_type.startswith("charge."):
                if subject["latest_charge"] is None:
                    raise conflict(f"PaymentIntent {subject['id']} has no charge.")
                subject = self._objects[subject["latest_charge"]]
            event = self._emit(event_type, subject, deliver=deliver)
            return copy.deepcopy(event)

    def deliver(self, event_ids: list[str]) -> None:
        """Queue existing events for delivery in exactly the given order."""
        with self.lock:
            if self._dispatcher.url is None:
                raise conflict("No webhook_url is configured, so nothing can be sent.")
            events = [self._get("event", event_id, param="id") for event_id in event_ids]
            for event in events:
                self._queue_delivery(event)

    # Internals. Callers hold the lock.

    def _now(self) -> int:
        return int(self._clock())

    def _get(
        self, object_name: str, object_id: str, *, param: str, status: int = 404
    ) -> JsonObject:
        found = self._objects.get(object_id)
        if found is None or found["object"] != object_name:
            raise no_such(object_name, object_id, param=param, status=status)
        return found

    def _open_session(self, session_id: str) -> JsonObject:
        session = self._get("checkout.session", session_id, param="session")
        if session["status"] != "open":
            raise conflict(f"Checkout Session {session_id} is {session['status']}, not open.")
        return session

    def _check_mode(self, params: Mapping[str, Any]) -> None:
        mode = get_string(params, "mode", required=True)
        if mode not in ("payment", "setup", "subscription"):
            raise invalid_parameter(
                "Invalid mode: must be one of payment, setup, or subscription",
                param="mode",
            )
        if mode != "payment":
            raise invalid_parameter("The Stripe emulator only supports mode=payment.", param="mode")

    def _store_line_item(self, draft: _LineItemDraft, now: int) -> JsonObject:
        product = {
            "id": new_id("prod_", 14),
            "object": "product",
            "active": True,
            "created": now,
            "default_price": None,
            "description": draft.description,
            "images": draft.images,
            "livemode": False,
            "metadata": draft.product_metadata,
            "name": draft.name,
            "updated": now,
            "url": None,
        }
        self._objects[product["id"]] = product
        price = {
            "id": new_id("price_"),
            "object": "price",
            "active": False,
            "billing_scheme": "per_unit",
            "created": now,
            "currency": draft.currency,
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": None,
            "metadata": {},
            "nickname": None,
            "product": product["id"],
            "recurring": None,
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "one_time",
            "unit_amount": draft.unit_amount,
            "unit_amount_decimal": str(draft.unit_amount),
        }
        self._objects[price["id"]] = price
        return {
            "id": new_id("li_"),
            "object": "item",
            "amount_discount": 0,
            "amount_subtotal": draft.amount,
            "amount_tax": 0,
            "amount_total": draft.amount,
            "currency": draft.currency,
            "description": draft.name,
            "metadata": draft.metadata,
            "price": price,
            "quantity": draft.quantity,
        }

    def _expanded(self, found: JsonObject, paths: list[str]) -> JsonObject:
        result = copy.deepcopy(found)
        for path in paths:
            self._expand_path(result, path.split("."), path)
        return result

    def _expanded_list(self, page: JsonObject, paths: list[str]) -> JsonObject:
        for path in paths:
            if not path.startswith("data."):
                raise _cannot_expand(path)
        item_paths = [path.removeprefix("data.") for path in paths]
        page["data"] = [self._expanded(item, item_paths) for item in page["data"]]
        return page

    def _expand_path(self, node: JsonObject, segments: list[str], path: str) -> None:
        head, rest = segments[0], segments[1:]
        if node.get("object") == "list" and head == "data" and rest:
            for item in node["data"]:
                self._expand_path(item, rest, path)
            return
        if head == "line_items" and node.get("object") == "checkout.session":
            node["line_items"] = _paginate(
                self._line_items[node["id"]],
                {"limit": str(EXPANDED_LINE_ITEMS_LIMIT)},
                f"/v1/checkout/sessions/{node['id']}/line_items",
                "item",
            )
        if head not in node:
            raise _cannot_expand(path)
        value = node[head]
        if isinstance(value, str):
            if value not in self._objects:
                raise _cannot_expand(path)
            value = node[head] = copy.deepcopy(self._objects[value])
        elif value is None:
            return
        elif not isinstance(value, dict):
            raise _cannot_expand(path)
        if rest:
            self._expand_path(value, rest, path)

    def _expire_overdue(self) -> None:
        now = self._now()
        for session_id in self._session_ids:
            session = self._objects[session_id]
            if session["status"] == "open" and session["expires_at"] <= now:
                self._expire(session, None)

    def _expire(self, session: JsonObject, request: RequestInfo | None) -> None:
        session["status"] = "expired"
        session["url"] = None
        intent_id = session["payment_intent"]
        if intent_id is not None:
            intent = self._objects[intent_id]
            if intent["status"] == "requires_payment_method":
                intent["status"] = "canceled"
                intent["canceled_at"] = self._now()
                intent["cancellation_reason"] = "abandoned"
        self._emit("checkout.session.expired", session, deliver=True, request=request)

    def _payment_intent_for(self, session: JsonObject) -> JsonObject:
        if session["payment_intent"] is not None:
            return self._objects[session["payment_intent"]]
        template = self._payment_intent_templates[session["id"]]
        intent_id = new_id("pi_")
        intent = {
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
            "created": self._now(),
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
        self._objects[intent_id] = intent
        session["payment_intent"] = intent_id
        return intent

    def _new_payment_method(self, method: str, email: str, last4: str) -> JsonObject:
        if method == CARD:
            details = {
                "brand": "visa",
                "country": "US",
                "exp_month": 12,
                "exp_year": 2034,
                "funding": "credit",
                "last4": last4,
            }
        else:
            details = {
                "account_holder_type": "individual",
                "account_type": "checking",
                "bank_name": "STRIPE TEST BANK",
                "last4": last4,
                "routing_number": "110000000",
            }
        payment_method = {
            "id": new_id("pm_"),
            "object": "payment_method",
            "billing_details": {
                "address": None,
                "email": email,
                "name": None,
                "phone": None,
            },
            method: details,
            "created": self._now(),
            "customer": None,
            "livemode": False,
            "metadata": {},
            "type": method,
        }
        self._objects[payment_method["id"]] = payment_method
        return payment_method

    def _new_charge(
        self, intent: JsonObject, payment_method: JsonObject, status: str
    ) -> JsonObject:
        method = payment_method["type"]
        charge = {
            "id": new_id("ch_"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": 0,
            "amount_refunded": 0,
            "balance_transaction": None,
            "billing_details": copy.deepcopy(payment_method["billing_details"]),
            "captured": False,
            "created": self._now(),
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
        self._objects[charge["id"]] = charge
        intent["latest_charge"] = charge["id"]
        return charge

    def _succeed(self, intent: JsonObject, charge: JsonObject) -> None:
        charge.update(
            status="succeeded", paid=True, captured=True, amount_captured=charge["amount"]
        )
        intent.update(status="succeeded", amount_received=intent["amount"], last_payment_error=None)

    def _fail(self, intent: JsonObject, charge: JsonObject, error: JsonObject) -> None:
        charge.update(status="failed", failure_code=error["code"], failure_message=error["message"])
        intent.update(
            status="requires_payment_method",
            payment_method=None,
            last_payment_error={
                "charge": charge["id"],
                **error,
                "payment_method": copy.deepcopy(self._objects[charge["payment_method"]]),
            },
        )

    def _complete(self, session: JsonObject, email: str, payment_status: str) -> None:
        session.update(status="complete", payment_status=payment_status, url=None)
        session["customer_details"] = {
            "address": None,
            "email": email,
            "name": None,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        }

    def _pay_by_card(self, session: JsonObject, email: str, digits: str, deliver: bool) -> None:
        intent = self._payment_intent_for(session)
        payment_method = self._new_payment_method(CARD, email, digits[-4:])
        charge = self._new_charge(intent, payment_method, "pending")
        if digits == DECLINE_CARD:
            self._fail(
                intent,
                charge,
                {
                    "code": "card_declined",
                    "decline_code": "generic_decline",
                    "doc_url": "https://stripe.com/docs/error-codes/card-declined",
                    "message": CARD_DECLINED_MESSAGE,
                    "type": "card_error",
                },
            )
            event = self._emit("payment_intent.payment_failed", intent, deliver=deliver)
            raise PaymentRejected(CARD_DECLINED_MESSAGE, [event["id"]])
        intent["payment_method"] = payment_method["id"]
        self._succeed(intent, charge)
        self._complete(session, email, "paid")
        self._emit("payment_intent.succeeded", intent, deliver=deliver)
        self._emit("checkout.session.completed", session, deliver=deliver)

    def _start_bank_transfer(self, session: JsonObject, email: str, deliver: bool) -> None:
        intent = self._payment_intent_for(session)
        payment_method = self._new_payment_method(BANK_TRANSFER, email, "6789")
        self._new_charge(intent, payment_method, "pending")
        intent.update(
            status="processing",
            payment_method=payment_method["id"],
            last_payment_error=None,
        )
        self._complete(session, email, "unpaid")
        self._emit("checkout.session.completed", session, deliver=deliver)
        if self._async_settle_seconds is not None:
            timer = threading.Timer(
                self._async_settle_seconds,
                self._settle_automatically,
                args=(session["id"], self._generation),
            )
            timer.daemon = True
            self._timers = [pending for pending in self._timers if pending.is_alive()]
            self._timers.append(timer)
            timer.start()

    def _settle_automatically(self, session_id: str, generation: int) -> None:
        with self.lock:
            session = self._objects.get(session_id)
            if generation != self._generation or session is None:
                return
            if self._awaiting_settlement(session):
                self._settle(session, succeeded=True, deliver=True)

    def _awaiting_settlement(self, session: JsonObject) -> bool:
        if session["status"] != "complete" or session["payment_status"] != "unpaid":
            return False
        intent = self._objects[session["payment_intent"]]
        return intent["status"] == "processing"

    def _settle(self, session: JsonObject, *, succeeded: bool, deliver: bool) -> None:
        intent = self._objects[session["payment_intent"]]
        charge = self._objects[intent["latest_charge"]]
        if succeeded:
            self._succeed(intent, charge)
            session["payment_status"] = "paid"
            self._emit("payment_intent.succeeded", intent, deliver=deliver)
            self._emit("checkout.session.async_payment_succeeded", session, deliver=deliver)
            return
        self._fail(
            intent,
            charge,
            {
                "code": "insufficient_funds",
                "message": "The customer's account has insufficient funds to cover this payment.",
                "type": "card_error",
            },
        )
        self._emit("payment_intent.payment_failed", intent, deliver=deliver)
        self._emit("checkout.session.async_payment_failed", session, deliver=deliver)

    def _emit(
        self,
        event_type: str,
        subject: JsonObject,
        *,
        deliver: bool,
        request: RequestInfo | None = None,
    ) -> JsonObject:
        event = {
            "id": new_id("evt_"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self._now(),
            "data": {"object": copy.deepcopy(subject)},
            "livemode": False,
            "pending_webhooks": 1 if self._dispatcher.url else 0,
            "request": {
                "id": request.request_id if request else None,
                "idempotency_key": request.idempotency_key if request else None,
            },
            "type": event_type,
        }
        self._objects[event["id"]] = event
        self._event_ids.append(event["id"])
        if deliver:
            self._queue_delivery(event)
        return event

    def _queue_delivery(self, event: JsonObject) -> None:
        if self._dispatcher.url is None:
            return
        payload = json.dumps(event, indent=2).encode()
        self._dispatcher.enqueue(event["id"], event["type"], payload)


@dataclass(frozen=True)
class _LineItemDraft:
    name: str
    description: str | None
    images: list[str]
    product_metadata: dict[str, str]
    currency: str
    unit_amount: int
    quantity: int
    metadata: dict[str, str]

    @property
    def amount(self) -> int:
        return self.unit_amount * self.quantity


def _parse_line_item(item: Any, index: int) -> _LineItemDraft:
    prefix = f"line_items[{index}]"
    if not isinstance(item, dict):
        raise invalid_parameter("Invalid object", param=prefix)
    price_id = get_string(item, "price", prefix=prefix)
    if price_id is not None:
        raise no_such("price", price_id, param=f"{prefix}[price]")
    price_prefix = f"{prefix}[price_data]"
    price_data = get_dict(item, "price_data", prefix=prefix, required=True) or {}
    currency = (
        get_string(price_data, "currency", prefix=price_prefix, required=True) or ""
    ).lower()
    if not _CURRENCY.match(currency):
        raise invalid_parameter(f"Invalid currency: {currency}", param=f"{price_prefix}[currency]")
    unit_amount = get_int(
        price_data,
        "unit_amount",
        prefix=price_prefix,
        required=True,
        minimum=0,
        maximum=MAX_CHECKOUT_AMOUNT,
    )
    if get_dict(price_data, "recurring", prefix=price_prefix) is not None:
        raise invalid_parameter(
            "You specified `payment` mode but passed a recurring price. Either switch to "
            "`subscription` mode or use only one-time prices.",
            param=f"{price_prefix}[recurring]",
        )
    product_id = get_string(price_data, "product", prefix=price_prefix)
    if product_id is not None:
        raise no_such("product", product_id, param=f"{price_prefix}[product]")
    product_prefix = f"{price_prefix}[product_data]"
    product_data = get_dict(price_data, "product_data", prefix=price_prefix, required=True) or {}
    name = get_string(product_data, "name", prefix=product_prefix, required=True)
    images = get_list(product_data, "images", prefix=product_prefix) or []
    quantity = get_int(item, "quantity", prefix=prefix, required=True, minimum=1)
    return _LineItemDraft(
        name=name or "",
        description=get_string(product_data, "description", prefix=product_prefix),
        images=[str(image) for image in images],
        product_metadata=get_metadata(product_data, prefix=product_prefix),
        currency=currency,
        unit_amount=unit_amount or 0,
        quantity=quantity or 0,
        metadata=get_metadata(item, prefix=prefix),
    )


def _single_currency(drafts: list[_LineItemDraft]) -> str:
    currencies = {draft.currency for draft in drafts}
    if len(currencies) > 1:
        raise invalid_parameter("All line items must use the same currency.", param="line_items")
    if not currencies:
        raise invalid_parameter("You must provide at least one line item.", param="line_items")
    return currencies.pop()


def _check_total(total: int, currency: str) -> None:
    if total < MIN_CHECKOUT_AMOUNT:
        raise StripeError(
            400,
            "The Checkout Session's total amount due must add up to at least "
            f"{format_amount(MIN_CHECKOUT_AMOUNT, currency)} {currency}",
            code="amount_too_small",
            replayable=False,
        )
    if total > MAX_CHECKOUT_AMOUNT:
        raise StripeError(
            400,
            "The Checkout Session's total amount due must be no more than "
            f"{format_amount(MAX_CHECKOUT_AMOUNT, currency)} {currency}",
            code="amount_too_large",
            replayable=False,
        )


def _expires_at(params: Mapping[str, Any], now: int) -> int:
    expires_at = get_int(params, "expires_at")
    if expires_at is None:
        return now + MAX_EXPIRY_SECONDS
    if expires_at < now + MIN_EXPIRY_SECONDS:
        raise invalid_parameter(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout "
            "Session creation.",
            param="expires_at",
        )
    if expires_at > now + MAX_EXPIRY_SECONDS:
        raise invalid_parameter(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            param="expires_at",
        )
    return expires_at


def _url_param(params: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = get_string(params, name, required=required, max_length=5000)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid_parameter("Not a valid URL", param=name, code="url_invalid")
    return value


def _reject_unsupported_filters(params: Mapping[str, Any], supported: set[str]) -> None:
    # Ignoring a filter would silently return too much, so refuse it instead.
    pagination = {"limit", "starting_after", "ending_before", "expand"}
    for name in params:
        if name not in supported | pagination:
            raise invalid_parameter(
                f"The Stripe emulator does not support the `{name}` filter.",
                param=name,
            )


def _paginate(
    items: list[JsonObject], params: Mapping[str, Any], url: str, object_name: str
) -> JsonObject:
    limit = get_int(params, "limit", minimum=1, maximum=100) or 10
    starting_after = get_string(params, "starting_after")
    ending_before = get_string(params, "ending_before")
    ids = [item["id"] for item in items]
    if starting_after is not None:
        if starting_after not in ids:
            raise no_such(object_name, starting_after, param="starting_after")
        window = items[ids.index(starting_after) + 1 :]
        page = window[:limit]
    elif ending_before is not None:
        if ending_before not in ids:
            raise no_such(object_name, ending_before, param="ending_before")
        window = items[: ids.index(ending_before)]
        page = window[-limit:]
    else:
        window = items
        page = window[:limit]
    return {
        "object": "list",
        "data": copy.deepcopy(page),
        "has_more": len(window) > limit,
        "url": url,
    }


def _cannot_expand(path: str) -> StripeError:
    return invalid_parameter(f"This property cannot be expanded ({path}).", param="expand")
