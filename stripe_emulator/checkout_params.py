"""Reading and validating the parameters of a new Checkout Session, as Stripe does."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from stripe_emulator.checkout_options import (
    CheckoutOptions,
    check_currency,
    check_tax_code,
    read_checkout_options,
)
from stripe_emulator.errors import StripeError, invalid_parameter, no_such
from stripe_emulator.money import format_amount
from stripe_emulator.params import (
    get_dict,
    get_int,
    get_list,
    get_metadata,
    get_string,
    get_string_list,
)
from stripe_emulator.store import JsonObject

MIN_CHECKOUT_AMOUNT = 50
MAX_CHECKOUT_AMOUNT = 99_999_999
MAX_LINE_ITEMS = 100
MIN_EXPIRY_SECONDS = 30 * 60
MAX_EXPIRY_SECONDS = 24 * 60 * 60

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_SHIPPING_RATE_DATA = {
    "delivery_estimate": {"maximum": None, "minimum": None},
    "display_name": None,
    "fixed_amount": {"amount": None, "currency": None},
    "metadata": None,
    "tax_behavior": None,
    "tax_code": None,
    "type": None,
}
# What a new session's parameters may hold here; anything else the SDK knows is refused.
IMPLEMENTED_SESSION_PARAMS = {
    "allow_promotion_codes": None,
    "automatic_tax": {"enabled": None},
    "cancel_url": None,
    "client_reference_id": None,
    "customer": None,
    "customer_email": None,
    "discounts": {"coupon": None, "promotion_code": None},
    "expand": None,
    "expires_at": None,
    "line_items": {
        "metadata": None,
        "price": None,
        "price_data": {
            "currency": None,
            "product": None,
            "product_data": {
                "description": None,
                "images": None,
                "metadata": None,
                "name": None,
                "tax_code": None,
            },
            "recurring": None,
            "tax_behavior": None,
            "unit_amount": None,
        },
        "quantity": None,
    },
    "metadata": None,
    "mode": None,
    "payment_intent_data": {"description": None, "metadata": None},
    "phone_number_collection": {"enabled": None},
    "shipping_address_collection": {"allowed_countries": None},
    "shipping_options": {"shipping_rate": None, "shipping_rate_data": _SHIPPING_RATE_DATA},
    "success_url": None,
    "ui_mode": None,
}


def is_email(text: str) -> bool:
    return _EMAIL.match(text) is not None


@dataclass(frozen=True)
class LineItemDraft:
    name: str
    description: str | None
    images: list[str]
    product_metadata: dict[str, str]
    currency: str
    unit_amount: int
    quantity: int
    metadata: dict[str, str]
    tax_behavior: str
    tax_code: str | None

    @property
    def amount(self) -> int:
        return self.unit_amount * self.quantity


@dataclass(frozen=True)
class SessionDraft:
    """A valid request for a new Checkout Session, before anything is stored."""

    success_url: str
    cancel_url: str | None
    line_items: list[LineItemDraft]
    currency: str
    total: int
    expires_at: int
    customer_email: str | None
    client_reference_id: str | None
    metadata: dict[str, str]
    payment_intent_template: JsonObject
    options: CheckoutOptions
    expand: list[str]


def read_session_params(params: Mapping[str, Any], now: int) -> SessionDraft:
    """The new session's parameters, or the StripeError Stripe answers for the first bad one."""
    _check_mode(params)
    success_url = _url_param(params, "success_url", required=True) or ""
    cancel_url = _url_param(params, "cancel_url")
    line_items = _line_items(params)
    currency = _single_currency(line_items)
    total = sum(draft.amount for draft in line_items)
    _check_total(total, currency)
    expires_at = _expires_at(params, now)
    customer_email = get_string(params, "customer_email", max_length=800)
    if customer_email is not None and not is_email(customer_email):
        raise invalid_parameter(
            f"Invalid email address: {customer_email}",
            param="customer_email",
            code="email_invalid",
        )
    client_reference_id = get_string(params, "client_reference_id", max_length=200)
    metadata = get_metadata(params)
    intent_data = get_dict(params, "payment_intent_data") or {}
    options = read_checkout_options(params, currency, [item.tax_behavior for item in line_items])
    return SessionDraft(
        success_url=success_url,
        cancel_url=cancel_url,
        line_items=line_items,
        currency=currency,
        total=total,
        expires_at=expires_at,
        customer_email=customer_email,
        client_reference_id=client_reference_id,
        metadata=metadata,
        payment_intent_template={
            "description": get_string(intent_data, "description", prefix="payment_intent_data"),
            "metadata": get_metadata(intent_data, prefix="payment_intent_data"),
        },
        options=options,
        expand=get_string_list(params, "expand"),
    )


def _check_mode(params: Mapping[str, Any]) -> None:
    mode = get_string(params, "mode", required=True)
    if mode not in ("payment", "setup", "subscription"):
        raise invalid_parameter(
            "Invalid mode: must be one of payment, setup, or subscription",
            param="mode",
        )
    if mode != "payment":
        raise invalid_parameter("The Stripe emulator only supports mode=payment.", param="mode")


def _line_items(params: Mapping[str, Any]) -> list[LineItemDraft]:
    items = get_list(params, "line_items", required=True) or []
    if len(items) > MAX_LINE_ITEMS:
        raise invalid_parameter(
            f"You may only specify up to {MAX_LINE_ITEMS} line items; you passed {len(items)}.",
            param="line_items",
        )
    return [_parse_line_item(item, index) for index, item in enumerate(items)]


def _parse_line_item(item: Any, index: int) -> LineItemDraft:
    prefix = f"line_items[{index}]"
    if not isinstance(item, dict):
        raise invalid_parameter("Invalid object", param=prefix)
    price_id = get_string(item, "price", prefix=prefix)
    if price_id is not None:
        raise no_such("price", price_id, param=f"{prefix}[price]")
    price_prefix = f"{prefix}[price_data]"
    price_data = get_dict(item, "price_data", prefix=prefix, required=True) or {}
    currency = check_currency(
        (get_string(price_data, "currency", prefix=price_prefix, required=True) or "").lower(),
        f"{price_prefix}[currency]",
    )
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
    return LineItemDraft(
        name=name or "",
        description=get_string(product_data, "description", prefix=product_prefix),
        images=[str(image) for image in images],
        product_metadata=get_metadata(product_data, prefix=product_prefix),
        currency=currency,
        unit_amount=unit_amount or 0,
        quantity=quantity or 0,
        metadata=get_metadata(item, prefix=prefix),
        tax_behavior=get_string(price_data, "tax_behavior", prefix=price_prefix) or "unspecified",
        tax_code=check_tax_code(
            get_string(product_data, "tax_code", prefix=product_prefix),
            f"{product_prefix}[tax_code]",
        ),
    )


def _single_currency(drafts: list[LineItemDraft]) -> str:
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
