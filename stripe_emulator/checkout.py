"""Checkout Sessions: creating them, their line items, listing, and expiry."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stripe_emulator.checkout_options import DiscountRequest, ShippingRateDraft
from stripe_emulator.checkout_params import LineItemDraft, SessionDraft, read_session_params
from stripe_emulator.errors import conflict, invalid_parameter, invalid_request, no_such
from stripe_emulator.events import Events
from stripe_emulator.expansion import (
    expanded,
    expanded_list,
    line_items_page,
    paginate,
    reject_unsupported_filters,
)
from stripe_emulator.params import get_string, get_string_list
from stripe_emulator.payment_objects import BANK_TRANSFER, CARD
from stripe_emulator.pricing import reprice
from stripe_emulator.promotions import find_promotion_code
from stripe_emulator.store import JsonObject, RequestInfo, Store, new_id

INVALID_PROMOTION_CODE_MESSAGE = "This code is invalid."

SESSION_STATUSES = ("open", "complete", "expired")
CHECKOUT_SESSION_ID_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"


@dataclass(frozen=True)
class CheckoutView:
    """What the hosted page needs to render one session."""

    session: JsonObject
    line_items: list[JsonObject]
    shipping_rates: list[JsonObject]
    promotion_code: str | None


@dataclass(frozen=True)
class CustomerInfo:
    """What the customer gave on the payment page besides the email and payment method."""

    name: str | None = None
    address: JsonObject | None = None
    phone: str | None = None


class ChoiceRejected(Exception):
    """A choice on the payment page (a promotion code, a shipping rate) that cannot apply."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CheckoutSessions:
    """Callers hold the store's lock and have expired overdue sessions where Stripe would."""

    def __init__(self, store: Store, events: Events) -> None:
        self._store = store
        self._events = events

    def create_session(self, params: Mapping[str, Any]) -> JsonObject:
        now = self._store.now()
        draft = read_session_params(params, now)
        discount_source = self._discount_source(draft.options.discounts)
        session = self._new_session(draft, now)
        rates = [
            self._store.add(_new_shipping_rate(rate, now))
            for rate in draft.options.shipping_options
        ]
        session["shipping_options"] = [
            {"shipping_amount": rate["fixed_amount"]["amount"], "shipping_rate": rate["id"]}
            for rate in rates
        ]
        # Checkout preselects the first shipping option.
        session["shipping_cost"] = _shipping_cost(rates[0]["id"]) if rates else None
        self._store.add(session)
        self._store.line_items[session["id"]] = [
            self._store_line_item(item, now) for item in draft.line_items
        ]
        if discount_source is not None:
            self._apply_discount(session, *discount_source)
        self._store.payment_intent_templates[session["id"]] = draft.payment_intent_template
        self._store.session_ids.append(session["id"])
        reprice(self._store, session)
        return expanded(self._store, session, draft.expand)

    def choose(
        self,
        session_id: str,
        *,
        shipping_rate_id: str | None = None,
        promotion_code: str | None = None,
        tax_country: str | None = None,
    ) -> None:
        """Apply what the customer picked on the payment page and update the amounts.

        Raises ChoiceRejected with the customer-facing message when a choice cannot apply.
        """
        session = self.open_session(session_id)
        if shipping_rate_id is not None:
            offered = [option["shipping_rate"] for option in session["shipping_options"]]
            if shipping_rate_id not in offered:
                raise ChoiceRejected("Choose one of the shipping options.")
            session["shipping_cost"] = _shipping_cost(shipping_rate_id)
        if promotion_code:
            if not session["allow_promotion_codes"]:
                raise ChoiceRejected("This checkout does not take promotion codes.")
            found = find_promotion_code(self._store, promotion_code)
            if found is None:
                raise ChoiceRejected(INVALID_PROMOTION_CODE_MESSAGE)
            self._apply_discount(session, found["promotion"]["coupon"], found["id"])
        if tax_country is not None:
            self._store.tax_countries[session_id] = tax_country
        reprice(self._store, session)

    def _discount_source(self, requests: list[DiscountRequest]) -> tuple[str, str | None] | None:
        """The coupon id and promotion code id that `discounts` names, once checked."""
        if not requests:
            return None
        request = requests[0]
        if request.promotion_code is not None:
            found = self._store.objects.get(request.promotion_code)
            if found is None or found["object"] != "promotion_code":
                raise no_such(
                    "promotion_code",
                    request.promotion_code,
                    param="discounts[0][promotion_code]",
                )
            return found["promotion"]["coupon"], found["id"]
        self._store.get("coupon", request.coupon or "", param="discounts[0][coupon]", status=400)
        return request.coupon or "", None

    def _apply_discount(
        self, session: JsonObject, coupon_id: str, promotion_code_id: str | None
    ) -> None:
        discount = self._store.add(
            {
                "id": new_id("di_"),
                "object": "discount",
                "checkout_session": session["id"],
                "customer": None,
                "customer_account": None,
                "end": None,
                "invoice": None,
                "invoice_item": None,
                "promotion_code": promotion_code_id,
                "source": {"coupon": coupon_id, "type": "coupon"},
                "start": self._store.now(),
                "subscription": None,
                "subscription_item": None,
            }
        )
        self._store.discount_ids[session["id"]] = discount["id"]
        session["discounts"] = [{"coupon": coupon_id, "promotion_code": promotion_code_id}]

    def retrieve_session(self, session_id: str, params: Mapping[str, Any]) -> JsonObject:
        session = self._store.get("checkout.session", session_id, param="session")
        return expanded(self._store, session, get_string_list(params, "expand"))

    def list_sessions(self, params: Mapping[str, Any]) -> JsonObject:
        reject_unsupported_filters(params, {"status", "payment_intent"})
        status = get_string(params, "status")
        if status is not None and status not in SESSION_STATUSES:
            raise invalid_parameter(
                "Invalid status: must be one of complete, expired, or open",
                param="status",
            )
        payment_intent = get_string(params, "payment_intent")
        sessions = [
            self._store.objects[session_id] for session_id in reversed(self._store.session_ids)
        ]
        matching = [
            session
            for session in sessions
            if status in (None, session["status"])
            and payment_intent in (None, session["payment_intent"])
        ]
        page = paginate(matching, params, "/v1/checkout/sessions", "checkout.session")
        return expanded_list(self._store, page, get_string_list(params, "expand"))

    def list_line_items(self, session_id: str, params: Mapping[str, Any]) -> JsonObject:
        self._store.get("checkout.session", session_id, param="session")
        page = line_items_page(self._store, session_id, params)
        return expanded_list(self._store, page, get_string_list(params, "expand"))

    def expire_session(
        self, session_id: str, params: Mapping[str, Any], request: RequestInfo
    ) -> JsonObject:
        session = self._store.get("checkout.session", session_id, param="session")
        if session["status"] != "open":
            raise invalid_request(
                "Only Checkout Sessions with a status in ['open'] can be "
                "expired. This Checkout Session has a status of "
                f"{session['status']}."
            )
        self._expire(session, request)
        return expanded(self._store, session, get_string_list(params, "expand"))

    def checkout_view(self, session_id: str) -> CheckoutView | None:
        session = self._store.objects.get(session_id)
        if session is None or session["object"] != "checkout.session":
            return None
        line_items = self._store.line_items[session_id]
        rates = [
            self._store.objects[option["shipping_rate"]] for option in session["shipping_options"]
        ]
        promotion_code = None
        if session["discounts"] and session["discounts"][0]["promotion_code"]:
            promotion_code = self._store.objects[session["discounts"][0]["promotion_code"]]["code"]
        return CheckoutView(
            copy.deepcopy(session), copy.deepcopy(line_items), copy.deepcopy(rates), promotion_code
        )

    def session_state(self, session_id: str) -> JsonObject:
        """The session with its PaymentIntent expanded, for control answers."""
        session = self._store.get("checkout.session", session_id, param="session")
        return expanded(self._store, session, ["payment_intent"])

    def expire_sessions(self, session_id: str | None) -> list[str]:
        if session_id is not None:
            sessions = [self.open_session(session_id)]
        else:
            sessions = [
                self._store.objects[sid]
                for sid in self._store.session_ids
                if self._store.objects[sid]["status"] == "open"
            ]
        for session in sessions:
            self._expire(session, None)
        return [session["id"] for session in sessions]

    def expire_overdue(self) -> None:
        """Expire the open sessions whose `expires_at` has passed, as Stripe does by itself."""
        now = self._store.now()
        for session_id in self._store.session_ids:
            session = self._store.objects[session_id]
            if session["status"] == "open" and session["expires_at"] <= now:
                self._expire(session, None)

    def open_session(self, session_id: str) -> JsonObject:
        session = self._store.get("checkout.session", session_id, param="session")
        if session["status"] != "open":
            raise conflict(f"Checkout Session {session_id} is {session['status']}, not open.")
        return session

    def complete(
        self, session: JsonObject, email: str, info: CustomerInfo, payment_status: str
    ) -> None:
        session.update(status="complete", payment_status=payment_status, url=None)
        session["customer_details"] = {
            "address": info.address,
            "business_name": None,
            "email": email,
            "individual_name": None,
            "name": info.name,
            "phone": info.phone,
            "tax_exempt": "none",
            "tax_ids": [],
        }
        shipping_details = None
        if session["shipping_address_collection"] is not None:
            shipping_details = {"address": info.address, "name": info.name}
        session["collected_information"] = {
            "business_name": None,
            "individual_name": None,
            "shipping_details": shipping_details,
        }

    def _expire(self, session: JsonObject, request: RequestInfo | None) -> None:
        session["status"] = "expired"
        session["url"] = None
        intent_id = session["payment_intent"]
        if intent_id is not None:
            intent = self._store.objects[intent_id]
            if intent["status"] == "requires_payment_method":
                intent["status"] = "canceled"
                intent["canceled_at"] = self._store.now()
                intent["cancellation_reason"] = "abandoned"
        self._events.emit("checkout.session.expired", session, deliver=True, request=request)

    def _new_session(self, draft: SessionDraft, now: int) -> JsonObject:
        session_id = new_id("cs_test_", 58)
        options = draft.options
        allowed_countries = options.allowed_countries
        chosen = {
            "allow_promotion_codes": options.allow_promotion_codes,
            "amount_subtotal": draft.total,
            "amount_total": draft.total,
            "automatic_tax": {
                "enabled": options.automatic_tax,
                "liability": {"type": "self"} if options.automatic_tax else None,
                "provider": "stripe" if options.automatic_tax else None,
                "status": "requires_location_inputs" if options.automatic_tax else None,
            },
            "cancel_url": draft.cancel_url,
            "client_reference_id": draft.client_reference_id,
            "created": now,
            "currency": draft.currency,
            "customer_details": None,
            "customer_email": draft.customer_email,
            "expires_at": draft.expires_at,
            "metadata": draft.metadata,
            "payment_intent": None,
            "payment_status": "unpaid",
            "phone_number_collection": {"enabled": options.phone_number_collection},
            "shipping_address_collection": (
                {"allowed_countries": allowed_countries} if allowed_countries else None
            ),
            "status": "open",
            "success_url": draft.success_url,
            "url": f"{self._store.base_url}/c/pay/{session_id}",
        }
        fields = {**_fixed_session_fields(), **chosen}
        # Stripe lists a session's fields alphabetically after its id and object.
        return {"id": session_id, "object": "checkout.session", **dict(sorted(fields.items()))}

    def _store_line_item(self, draft: LineItemDraft, now: int) -> JsonObject:
        product = self._store.add(_new_product(draft, now))
        price = self._store.add(_new_price(draft, product["id"], now))
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


def _fixed_session_fields() -> JsonObject:
    """The fields of a session for Checkout features the emulator leaves unused."""
    return {
        "after_expiration": None,
        "billing_address_collection": None,
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": None,
        "customer_creation": "if_required",
        "discounts": [],
        "invoice": None,
        "invoice_creation": None,
        "livemode": False,
        "locale": None,
        "mode": "payment",
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_options": {},
        "payment_method_types": [CARD, BANK_TRANSFER],
        "recovered_from": None,
        "setup_intent": None,
        "submit_type": None,
        "subscription": None,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted_page",
    }


def _new_product(draft: LineItemDraft, now: int) -> JsonObject:
    return {
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
        "tax_code": draft.tax_code,
        "updated": now,
        "url": None,
    }


def _new_price(draft: LineItemDraft, product_id: str, now: int) -> JsonObject:
    return {
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
        "product": product_id,
        "recurring": None,
        "tax_behavior": draft.tax_behavior,
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "one_time",
        "unit_amount": draft.unit_amount,
        "unit_amount_decimal": str(draft.unit_amount),
    }


def _shipping_cost(rate_id: str) -> JsonObject:
    """The chosen rate; its amounts are filled in by `reprice`."""
    return {
        "amount_subtotal": 0,
        "amount_tax": 0,
        "amount_total": 0,
        "shipping_rate": rate_id,
        "taxes": [],
    }


def _new_shipping_rate(draft: ShippingRateDraft, now: int) -> JsonObject:
    return {
        "id": new_id("shr_"),
        "object": "shipping_rate",
        "active": True,
        "created": now,
        "delivery_estimate": draft.delivery_estimate,
        "display_name": draft.display_name,
        "fixed_amount": {"amount": draft.amount, "currency": draft.currency},
        "livemode": False,
        "metadata": draft.metadata,
        "tax_behavior": draft.tax_behavior,
        "tax_code": draft.tax_code,
        "type": "fixed_amount",
    }
