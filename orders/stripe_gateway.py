"""The only module that talks to Stripe; everything else sees plain data and typed errors."""

import functools
import logging
import os
import re
import typing
from dataclasses import dataclass
from urllib.parse import quote

import stripe
from django.conf import settings
from stripe import SignatureVerificationError, WebhookSignature
from stripe.params.checkout._session_create_params import (
    SessionCreateParamsShippingAddressCollection,
)

from config import json_bodies

logger = logging.getLogger(__name__)

STRIPE_DASHBOARD = "https://dashboard.stripe.com"
# The emulator's hosted page of a Checkout Session (stripe_emulator.hosted_page.PAGE_PATH).
EMULATOR_CHECKOUT_PAGE = "/c/pay/{session_id}"
# Stripe may answer a webhook's event type with a payment already settled or not; these
# PaymentIntent states mean the shopper's delayed payment did not go through.
FAILED_PAYMENT_INTENT_STATES = {"requires_payment_method", "canceled"}
# Stripe's own default: older signatures are refused, which defeats replayed deliveries.
WEBHOOK_TOLERANCE_SECONDS = 300
# Stripe's amounts have at most twelve digits; anything larger is not an amount it charged.
LARGEST_STRIPE_AMOUNT = 999_999_999_999
CURRENCY_CODE = re.compile(r"[a-z]{3}")
# A call that fails on the network or on Stripe's side is tried this many more times, with the
# same idempotency key; every try, and the SDK's pauses between them, fit in
# settings.STRIPE_TIME_BUDGET_SECONDS.
MAX_NETWORK_RETRIES = 2
# Opening a connection takes a round trip or two; the rest of each try waits for the answer.
CONNECT_SHARE = 0.25
# What a paid session must show expanded for the shop to record what Stripe settled: the
# discounts' promotion codes and the taxes' inclusive flags, and the chosen rate's name.
SETTLED_EXPANSIONS = [
    "payment_intent",
    "total_details.breakdown.discounts.discount.promotion_code",
    "shipping_cost.shipping_rate",
]
# Stripe's unknown-country code is accepted in allowed_countries but names no country to ship to.
UNKNOWN_COUNTRY = "ZZ"


class StripeError(Exception):
    """Stripe could not do what was asked; `user_message` is safe to show a shopper."""

    user_message = "We could not reach our payment provider. Please try again in a minute."


class StripeUnavailable(StripeError):
    """A network failure, timeout, rate limit or error on Stripe's side."""


class StripeRejected(StripeError):
    """Stripe refused the request as invalid; retrying the same request will not help."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code
        self.user_message = message


class InvalidWebhook(Exception):
    """The webhook body or signature is not a valid, fresh event signed with our secret."""


@dataclass(frozen=True)
class ShippingDetails:
    """Where and to whom the shopper asked Stripe to ship, as text Stripe sent (maybe empty)."""

    name: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    postal_code: str = ""
    state: str = ""
    country: str = ""
    phone: str = ""

    @classmethod
    def from_stripe(cls, session) -> "ShippingDetails":
        collected = _dict(session.get("collected_information"))
        shipping = _dict(collected.get("shipping_details"))
        address = _dict(shipping.get("address"))
        customer = _dict(session.get("customer_details"))
        return cls(
            name=_text(shipping.get("name")),
            phone=_text(customer.get("phone")),
            **{
                field: _text(address.get(field))
                for field in ("line1", "line2", "city", "postal_code", "state", "country")
            },
        )


@dataclass(frozen=True)
class Settlement:
    """What Stripe added to and took off the items, in the smallest unit of the currency;
    None where Stripe's figure cannot be read. `tax_included` is the part of `tax` already
    inside inclusive prices, None when the session came without its tax breakdown."""

    shipping: int | None = 0
    discount: int | None = 0
    tax: int | None = 0
    tax_included: int | None = 0
    shipping_rate_name: str = ""
    promotion_code: str = ""
    # The session came without the expansions (a webhook's payload): the promotion code, the
    # rate's name or the tax inside prices are not in it.
    unexpanded: bool = False

    @classmethod
    def from_stripe(cls, session) -> "Settlement":
        if "total_details" not in session:
            return cls()
        details = _dict(session.get("total_details"))
        breakdown = details.get("breakdown")
        shipping_cost = _dict(session.get("shipping_cost"))
        unexpanded = isinstance(shipping_cost.get("shipping_rate"), str) or (
            not isinstance(breakdown, dict)
            and any(details.get(key) for key in ("amount_discount", "amount_tax"))
        )
        tax = _amount(details.get("amount_tax"))
        if tax == 0:
            tax_included = 0
        else:
            tax_included = _tax_included(breakdown) if isinstance(breakdown, dict) else None
        return cls(
            shipping=_amount(details.get("amount_shipping")),
            discount=_amount(details.get("amount_discount")),
            tax=tax,
            tax_included=tax_included,
            shipping_rate_name=_text(_dict(shipping_cost.get("shipping_rate")).get("display_name")),
            promotion_code=_promotion_code(breakdown) if isinstance(breakdown, dict) else "",
            unexpanded=unexpanded,
        )


def _tax_included(breakdown: dict) -> int | None:
    taxes = breakdown.get("taxes")
    if not isinstance(taxes, list):
        return None
    included = 0
    for tax in taxes:
        tax = _dict(tax)
        if _dict(tax.get("rate")).get("inclusive") is True:
            if not _is_cents(tax.get("amount")):
                return None
            included += tax["amount"]
    return _amount(included)


def _promotion_code(breakdown: dict) -> str:
    discounts = breakdown.get("discounts")
    codes = [
        _text(_dict(_dict(_dict(entry).get("discount")).get("promotion_code")).get("code"))
        for entry in (discounts if isinstance(discounts, list) else [])
    ]
    return ", ".join(code for code in codes if code)


@dataclass(frozen=True)
class CheckoutSession:
    """A Checkout Session as the shop can store it: an id, currency or amount that no column
    could hold is left empty (None for amounts); the event payload keeps what Stripe sent."""

    id: str
    url: str
    status: str
    payment_status: str
    amount_subtotal: int | None
    amount_total: int | None
    currency: str
    client_reference_id: str
    customer_email: str
    payment_intent_id: str
    payment_intent_status: str
    settlement: Settlement = Settlement()
    shipping: ShippingDetails = ShippingDetails()

    @property
    def is_paid(self) -> bool:
        return self.payment_status in ("paid", "no_payment_required")

    @property
    def has_failed(self) -> bool:
        return (
            self.status == "complete"
            and not self.is_paid
            and self.payment_intent_status in FAILED_PAYMENT_INTENT_STATES
        )

    @classmethod
    def from_stripe(cls, session, payment_intent_status: str = "") -> "CheckoutSession":
        intent = session.get("payment_intent")
        if isinstance(intent, dict):
            payment_intent_status = _text(intent.get("status")) or payment_intent_status
            intent = intent.get("id")
        details = session.get("customer_details")
        details = details if isinstance(details, dict) else {}
        return cls(
            id=session["id"],
            url=_text(session.get("url")),
            status=_text(session.get("status")),
            payment_status=_text(session.get("payment_status")),
            amount_subtotal=_amount(session.get("amount_subtotal")),
            amount_total=_amount(session.get("amount_total")),
            currency=_currency(session.get("currency")),
            client_reference_id=_text(session.get("client_reference_id")),
            customer_email=_text(details.get("email")) or _text(session.get("customer_email")),
            payment_intent_id=intent if _is_id(intent) else "",
            payment_intent_status=payment_intent_status,
            settlement=Settlement.from_stripe(session),
            shipping=ShippingDetails.from_stripe(session),
        )


@dataclass(frozen=True)
class Charge:
    payment_intent_id: str
    currency: str
    amount: int
    amount_refunded: int


def longest_retry_pauses() -> float:
    """The most the SDK sleeps between the tries of one call: its backoff at full jitter."""
    initial, ceiling = stripe.HTTPClient.INITIAL_DELAY, stripe.HTTPClient.MAX_DELAY
    return sum(
        max(initial, min(initial * 2 ** (retry - 1), ceiling))
        for retry in range(1, MAX_NETWORK_RETRIES + 1)
    )


def seconds_per_try(budget: float) -> float:
    """Each try's share of the budget, once the pauses between tries are set aside."""
    return (budget - longest_retry_pauses()) / (1 + MAX_NETWORK_RETRIES)


def _client() -> stripe.StripeClient:
    """The process's client for the configured account, so calls reuse its open connections."""
    return _client_for(
        settings.STRIPE_SECRET_KEY or "sk_missing",
        settings.STRIPE_API_BASE,
        settings.STRIPE_TIME_BUDGET_SECONDS,
        os.getpid(),
    )


# Keyed by process too: a forked worker must never share its parent's sockets.
@functools.lru_cache(maxsize=4)
def _client_for(api_key: str, api_base: str, budget: float, pid: int) -> stripe.StripeClient:
    per_try = seconds_per_try(budget)
    # requests bounds connecting and each wait for the answer separately; Stripe's answers are
    # small enough to arrive at once, so the two limits together bound a whole try.
    timeout = (per_try * CONNECT_SHARE, per_try * (1 - CONNECT_SHARE))
    # Safe to share between threads: RequestsClient keeps one connection pool per thread.
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def _call(description: str, method: str, path: str, **params) -> dict:
    """Send one request to Stripe's API through the SDK's client and hand back plain data,
    turning SDK errors into ours. The request is the one the SDK's typed services send, raw:
    they turn every field of the answer into an object, only for it to become plain data again
    here, 0.4 ms of CPU for each Checkout Session opened."""
    try:
        return _without_nul(_client().raw_request(method, path, **params).data)
    except (stripe.InvalidRequestError, stripe.IdempotencyError, stripe.CardError) as error:
        logger.warning("Stripe refused to %s: %s", description, error.user_message)
        raise StripeRejected(
            error.user_message or str(error), getattr(error, "code", None)
        ) from error
    except stripe.StripeError as error:
        logger.error("Stripe failed to %s: %s", description, error)
        raise StripeUnavailable(str(error)) from error


def _session_path(session_id: str) -> str:
    return f"/v1/checkout/sessions/{quote(session_id, safe='')}"


def create_checkout_session(params: dict, idempotency_key: str) -> CheckoutSession:
    session = _call(
        "create a Checkout Session",
        "post",
        "/v1/checkout/sessions",
        **params,
        idempotency_key=idempotency_key,
    )
    if not _is_id(session.get("id")):
        raise StripeUnavailable("Stripe answered with a Checkout Session id too long to keep.")
    return CheckoutSession.from_stripe(session)


def retrieve_checkout_session(session_id: str) -> CheckoutSession:
    session = _call(
        f"retrieve Checkout Session {session_id}",
        "get",
        _session_path(session_id),
        expand=SETTLED_EXPANSIONS,
    )
    return CheckoutSession.from_stripe(session)


def expire_checkout_session(session_id: str) -> CheckoutSession:
    session = _call(
        f"expire Checkout Session {session_id}", "post", f"{_session_path(session_id)}/expire"
    )
    return CheckoutSession.from_stripe(session)


def find_checkout_session_for_payment_intent(payment_intent_id: str) -> CheckoutSession | None:
    sessions = _call(
        f"find the Checkout Session of {payment_intent_id}",
        "get",
        "/v1/checkout/sessions",
        payment_intent=payment_intent_id,
        limit=1,
    )
    return CheckoutSession.from_stripe(sessions["data"][0]) if sessions["data"] else None


def create_refund(payment_intent_id: str, amount_cents: int | None, idempotency_key: str) -> str:
    params = {"payment_intent": payment_intent_id}
    if amount_cents is not None:
        params["amount"] = amount_cents
    refund = _call(
        f"refund {payment_intent_id}",
        "post",
        "/v1/refunds",
        **params,
        idempotency_key=idempotency_key,
    )
    return refund["id"]


def construct_event(payload: bytes, signature_header: str) -> dict:
    """Verify the signature on the raw body and return the event as plain data."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise InvalidWebhook("No webhook signing secret is configured; refusing every event.")
    try:
        WebhookSignature.verify_header(
            payload.decode("utf-8"), signature_header, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
        event = json_bodies.parse(payload)
        # Valid JSON can carry NUL only escaped: a body without the escape needs no cleaning.
        if b"\\u0000" in payload:
            event = _without_nul(event)
    except SignatureVerificationError as error:
        raise InvalidWebhook(f"Invalid signature: {error.user_message}") from None
    except json_bodies.InvalidJSON as error:
        raise InvalidWebhook(f"The body is not a valid Stripe event. {error}") from None
    except ValueError:
        raise InvalidWebhook("The body is not a valid Stripe event.") from None
    if not isinstance(event, dict):
        raise InvalidWebhook("The body is not a valid Stripe event.")
    if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise InvalidWebhook("The event has no id or type.")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise InvalidWebhook("The event has no data object.")
    return event


def signed_at(signature_header: str) -> int | None:
    """When Stripe signed a delivery: the `t` of a header construct_event accepted."""
    for item in signature_header.split(","):
        name, _, value = item.partition("=")
        if name == "t":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def session_from_event(event: dict) -> CheckoutSession:
    if not _is_id(event["data"]["object"].get("id")):
        raise InvalidWebhook("The Checkout Session in the event has no id.")
    intent_status = (
        "requires_payment_method"
        if event["type"] == "checkout.session.async_payment_failed"
        else ""
    )
    return CheckoutSession.from_stripe(event["data"]["object"], intent_status)


def charge_from_event(event: dict) -> Charge:
    charge = event["data"]["object"]
    intent, amount, refunded = (
        charge.get(key) for key in ("payment_intent", "amount", "amount_refunded")
    )
    if not _is_id(intent) or not _is_cents(amount) or not _is_cents(refunded):
        raise InvalidWebhook("The charge in the event has no payment intent or amounts.")
    return Charge(
        payment_intent_id=intent,
        currency=_currency(charge.get("currency")),
        amount=amount,
        amount_refunded=refunded,
    )


def _without_nul(value):
    """PostgreSQL cannot store NUL in JSON text, and no Stripe field carries one."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def _is_id(value) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 255


def _is_cents(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _amount(value) -> int | None:
    return value if _is_cents(value) and value <= LARGEST_STRIPE_AMOUNT else None


def _currency(value) -> str:
    return value if isinstance(value, str) and CURRENCY_CODE.fullmatch(value) else ""


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def shipping_countries() -> frozenset[str]:
    """The country codes Stripe Checkout can collect a shipping address in."""
    annotation = SessionCreateParamsShippingAddressCollection.__annotations__["allowed_countries"]
    return frozenset(_literal_values(annotation)) - {UNKNOWN_COUNTRY}


def _literal_values(annotation) -> set[str]:
    if isinstance(annotation, typing.ForwardRef | str):
        return set()
    if typing.get_origin(annotation) is typing.Literal:
        return set(typing.get_args(annotation))
    return {value for arg in typing.get_args(annotation) for value in _literal_values(arg)}


def dashboard_url(kind: str, object_id: str, checkout_session_id: str) -> str:
    """Where staff can look at a Stripe object of an order.

    On the emulator, whose API answers nobody without a secret key, that is the emulator's
    own page of the order's Checkout Session, for the payment too.
    """
    if uses_emulator():
        base = settings.STRIPE_API_BASE.rstrip("/")
        return f"{base}{EMULATOR_CHECKOUT_PAGE.format(session_id=checkout_session_id)}"
    live = settings.STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))
    test_prefix = "" if live else "/test"
    paths = {"payment_intent": "payments", "checkout_session": "checkout/sessions"}
    return f"{STRIPE_DASHBOARD}{test_prefix}/{paths[kind]}/{object_id}"


def uses_emulator() -> bool:
    base = settings.STRIPE_API_BASE
    return bool(base) and not base.startswith("https://api.stripe.com")
