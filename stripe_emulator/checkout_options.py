"""Reading a new session's shipping, phone, tax and discount parameters, as Stripe does.

Value types (booleans, enums such as the allowed countries, integers, required keys)
were already checked against the SDK's annotations; this reads their meaning and
refuses the combinations Stripe refuses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stripe_emulator.errors import invalid_parameter, no_such
from stripe_emulator.money import SUPPORTED_CURRENCIES
from stripe_emulator.params import get_dict, get_int, get_list, get_metadata, get_string

MAX_SHIPPING_OPTIONS = 5
TAX_BEHAVIORS = ("exclusive", "inclusive", "unspecified")
_TAX_CODE = re.compile(r"^txcd_\d{8}$")


@dataclass(frozen=True)
class ShippingRateDraft:
    display_name: str
    amount: int
    currency: str
    delivery_estimate: dict[str, Any] | None
    tax_behavior: str
    tax_code: str | None
    metadata: dict[str, str]


@dataclass(frozen=True)
class DiscountRequest:
    """One entry of `discounts`: a coupon id or a promotion code id, checked later in the store."""

    coupon: str | None
    promotion_code: str | None


@dataclass(frozen=True)
class CheckoutOptions:
    allowed_countries: list[str] | None
    shipping_options: list[ShippingRateDraft]
    phone_number_collection: bool
    allow_promotion_codes: bool | None
    automatic_tax: bool
    discounts: list[DiscountRequest]


def check_currency(currency: str, param: str) -> str:
    if currency not in SUPPORTED_CURRENCIES:
        raise invalid_parameter(
            f"Invalid currency: {currency}. Stripe currently supports these currencies: "
            + ", ".join(sorted(SUPPORTED_CURRENCIES)),
            param=param,
        )
    return currency


def check_tax_code(tax_code: str | None, param: str) -> str | None:
    if tax_code is not None and not _TAX_CODE.match(tax_code):
        raise no_such("tax code", tax_code, param=param)
    return tax_code


def read_checkout_options(
    params: Mapping[str, Any], currency: str, line_item_tax_behaviors: list[str]
) -> CheckoutOptions:
    """The options of a session whose line items are in `currency`, or Stripe's 400."""
    if get_string(params, "customer") is not None:
        # The emulator keeps no Customers, so every id is unknown, as on a fresh account.
        raise no_such("customer", params["customer"], param="customer")
    ui_mode = get_string(params, "ui_mode")
    if ui_mode not in (None, "hosted_page"):
        raise invalid_parameter(
            f"The Stripe emulator only supports ui_mode=hosted_page, not {ui_mode}.",
            param="ui_mode",
            code="parameter_unsupported",
        )
    collection = get_dict(params, "shipping_address_collection")
    shipping_options = _shipping_options(params, currency)
    automatic_tax = _enabled(params, "automatic_tax")
    if automatic_tax:
        _check_tax_behaviors_for_automatic_tax(line_item_tax_behaviors, shipping_options)
    allow_promotion_codes = params.get("allow_promotion_codes")
    discounts = _discounts(params)
    if allow_promotion_codes not in (None, "") and discounts:
        raise invalid_parameter(
            "You may only specify one of these parameters: allow_promotion_codes, discounts.",
            param="allow_promotion_codes",
        )
    return CheckoutOptions(
        allowed_countries=list(collection["allowed_countries"]) if collection else None,
        shipping_options=shipping_options,
        phone_number_collection=_enabled(params, "phone_number_collection"),
        allow_promotion_codes=(
            None if allow_promotion_codes in (None, "") else allow_promotion_codes == "true"
        ),
        automatic_tax=automatic_tax,
        discounts=discounts,
    )


def _enabled(params: Mapping[str, Any], name: str) -> bool:
    setting = get_dict(params, name) or {}
    return setting.get("enabled") == "true"


def _shipping_options(params: Mapping[str, Any], currency: str) -> list[ShippingRateDraft]:
    options = get_list(params, "shipping_options") or []
    if len(options) > MAX_SHIPPING_OPTIONS:
        raise invalid_parameter(
            f"You may only specify up to {MAX_SHIPPING_OPTIONS} shipping options; "
            f"you passed {len(options)}.",
            param="shipping_options",
        )
    return [_shipping_option(option, index, currency) for index, option in enumerate(options)]


def _shipping_option(option: Any, index: int, currency: str) -> ShippingRateDraft:
    prefix = f"shipping_options[{index}]"
    if not isinstance(option, dict):
        raise invalid_parameter("Invalid object", param=prefix)
    rate_id = get_string(option, "shipping_rate", prefix=prefix)
    rate_data = get_dict(option, "shipping_rate_data", prefix=prefix)
    if rate_id is not None and rate_data is not None:
        raise invalid_parameter(
            "You may only specify one of these parameters: shipping_rate, shipping_rate_data.",
            param=prefix,
        )
    if rate_id is not None:
        # No shipping rates exist beforehand here: create them inline with shipping_rate_data.
        raise no_such("shipping_rate", rate_id, param=f"{prefix}[shipping_rate]")
    if rate_data is None:
        raise invalid_parameter(
            "You must specify either shipping_rate or shipping_rate_data.", param=prefix
        )
    data_prefix = f"{prefix}[shipping_rate_data]"
    fixed_prefix = f"{data_prefix}[fixed_amount]"
    fixed_amount = get_dict(rate_data, "fixed_amount", prefix=data_prefix, required=True) or {}
    rate_currency = check_currency(
        get_string(fixed_amount, "currency", prefix=fixed_prefix, required=True) or "",
        f"{fixed_prefix}[currency]",
    )
    if rate_currency != currency:
        raise invalid_parameter(
            f"The shipping rate's currency ({rate_currency}) must match the currency of the "
            f"line items ({currency}).",
            param=f"{fixed_prefix}[currency]",
        )
    amount = get_int(fixed_amount, "amount", prefix=fixed_prefix, required=True, minimum=0)
    return ShippingRateDraft(
        display_name=get_string(rate_data, "display_name", prefix=data_prefix, max_length=100)
        or "",
        amount=amount or 0,
        currency=rate_currency,
        delivery_estimate=_delivery_estimate(rate_data, data_prefix),
        tax_behavior=get_string(rate_data, "tax_behavior", prefix=data_prefix) or "unspecified",
        tax_code=check_tax_code(
            get_string(rate_data, "tax_code", prefix=data_prefix), f"{data_prefix}[tax_code]"
        ),
        metadata=get_metadata(rate_data, prefix=data_prefix),
    )


def _delivery_estimate(rate_data: Mapping[str, Any], prefix: str) -> dict[str, Any] | None:
    estimate = get_dict(rate_data, "delivery_estimate", prefix=prefix)
    if estimate is None:
        return None
    estimate_prefix = f"{prefix}[delivery_estimate]"
    bounds: dict[str, Any] = {}
    for bound in ("maximum", "minimum"):
        given = get_dict(estimate, bound, prefix=estimate_prefix)
        if given is None:
            bounds[bound] = None
            continue
        bound_prefix = f"{estimate_prefix}[{bound}]"
        value = get_int(given, "value", prefix=bound_prefix, required=True, minimum=1)
        bounds[bound] = {"unit": given["unit"], "value": value}
    return bounds


def _check_tax_behaviors_for_automatic_tax(
    line_items: list[str], shipping_options: list[ShippingRateDraft]
) -> None:
    # Stripe Tax needs each price's tax behavior, from the price or from the account's
    # default in the Tax settings; the emulated account has no default.
    for index, behavior in enumerate(line_items):
        if behavior == "unspecified":
            raise invalid_parameter(
                "Automatic tax needs a tax behavior for every price: set "
                f"line_items[{index}][price_data][tax_behavior] to inclusive or exclusive "
                "(the account has no default tax behavior).",
                param=f"line_items[{index}][price_data][tax_behavior]",
            )
    for index, option in enumerate(shipping_options):
        if option.tax_behavior == "unspecified":
            raise invalid_parameter(
                "Automatic tax needs a tax behavior for every shipping rate: set "
                f"shipping_options[{index}][shipping_rate_data][tax_behavior] to inclusive "
                "or exclusive (the account has no default tax behavior).",
                param=f"shipping_options[{index}][shipping_rate_data][tax_behavior]",
            )


def _discounts(params: Mapping[str, Any]) -> list[DiscountRequest]:
    entries = get_list(params, "discounts") or []
    if len(entries) > 1:
        raise invalid_parameter(
            "You may only specify one discount on a Checkout Session.", param="discounts"
        )
    requests = []
    for index, entry in enumerate(entries):
        prefix = f"discounts[{index}]"
        if not isinstance(entry, dict):
            raise invalid_parameter("Invalid object", param=prefix)
        coupon = get_string(entry, "coupon", prefix=prefix)
        promotion_code = get_string(entry, "promotion_code", prefix=prefix)
        if (coupon is None) == (promotion_code is None):
            raise invalid_parameter(
                "You must specify exactly one of these parameters: coupon, promotion_code.",
                param=prefix,
            )
        requests.append(DiscountRequest(coupon, promotion_code))
    return requests
