"""A session's amounts: its items, less the discount, plus shipping and tax, as Stripe adds them.

- `amount_subtotal`: the items before discount and tax (inclusive prices still hold their tax).
- The discount comes off the items only, spread over the lines by their share.
- Tax is worked out per line on its amount after discount, and on the shipping rate,
  once the customer's country is known; exclusive tax is added, inclusive tax is not.
- `total_details.amount_tax` counts both; `amount_total` = subtotal - discount +
  shipping + exclusive tax.
"""

from __future__ import annotations

from stripe_emulator.money import round_half_up
from stripe_emulator.promotions import amount_off
from stripe_emulator.store import JsonObject, Store
from stripe_emulator.tax import tax_on, tax_percentage, tax_rate


def reprice(store: Store, session: JsonObject) -> None:
    """Bring the session's and its line items' amounts up to date with its current choices."""
    session_id = session["id"]
    line_items = store.line_items[session_id]
    country = store.tax_countries.get(session_id)
    percentage = tax_percentage(country) if session["automatic_tax"]["enabled"] else None
    discount = _discount_object(store, session)
    coupon = store.objects[discount["source"]["coupon"]] if discount else None

    subtotals = [item["amount_subtotal"] for item in line_items]
    discounts = _spread(amount_off(coupon, sum(subtotals), session["currency"]), subtotals)
    taxes = []
    for item, item_discount in zip(line_items, discounts, strict=True):
        taxable = item["amount_subtotal"] - item_discount
        behavior = item["price"]["tax_behavior"]
        item_taxes = _taxes(store, country, percentage, taxable, behavior)
        item_tax = sum(tax["amount"] for tax in item_taxes)
        item.update(
            amount_discount=item_discount,
            amount_tax=item_tax,
            amount_total=taxable + (item_tax if behavior == "exclusive" else 0),
        )
        store.includable[item["id"]] = {
            "discounts": [{"amount": item_discount, "discount": discount}] if discount else [],
            "taxes": item_taxes,
        }
        taxes.extend(item_taxes)

    shipping_cost = session["shipping_cost"]
    if shipping_cost is not None:
        rate = store.objects[shipping_cost["shipping_rate"]]
        behavior = rate["tax_behavior"] or "unspecified"
        amount = rate["fixed_amount"]["amount"]
        shipping_taxes = _taxes(store, country, percentage, amount, behavior)
        shipping_tax = sum(tax["amount"] for tax in shipping_taxes)
        shipping_cost.update(
            amount_subtotal=amount,
            amount_tax=shipping_tax,
            amount_total=amount + (shipping_tax if behavior == "exclusive" else 0),
            taxes=shipping_taxes,
        )
        taxes.extend(shipping_taxes)

    total_discount = sum(discounts)
    session["amount_subtotal"] = sum(subtotals)
    session["amount_total"] = sum(item["amount_total"] for item in line_items) + (
        shipping_cost["amount_total"] if shipping_cost else 0
    )
    session["total_details"] = {
        "amount_discount": total_discount,
        "amount_shipping": shipping_cost["amount_subtotal"] if shipping_cost else 0,
        "amount_tax": sum(tax["amount"] for tax in taxes),
    }
    store.includable[session_id] = {
        "breakdown": {
            "discounts": ([{"amount": total_discount, "discount": discount}] if discount else []),
            "taxes": _aggregated(taxes),
        }
    }
    if session["automatic_tax"]["enabled"]:
        session["automatic_tax"]["status"] = (
            "complete" if country is not None else "requires_location_inputs"
        )


def _discount_object(store: Store, session: JsonObject) -> JsonObject | None:
    discount_id = store.discount_ids.get(session["id"])
    return store.objects[discount_id] if discount_id else None


def _spread(total: int, shares: list[int]) -> list[int]:
    """`total` split over lines in proportion to `shares`, the rounding left on the last."""
    whole = sum(shares)
    if whole == 0 or total == 0:
        return [0] * len(shares)
    parts = [round_half_up(total * share, whole) for share in shares[:-1]]
    return [*parts, total - sum(parts)]


def _taxes(
    store: Store, country: str | None, percentage: int | None, taxable: int, behavior: str
) -> list[JsonObject]:
    if country is None or percentage is None:
        return []
    inclusive = behavior == "inclusive"
    amount = tax_on(taxable, percentage, behavior)
    return [
        {
            "amount": amount,
            "rate": tax_rate(store, country, inclusive),
            "taxability_reason": "standard_rated",
            # What the tax is a percentage of: an inclusive price without its tax.
            "taxable_amount": taxable - amount if inclusive else taxable,
        }
    ]


def _aggregated(taxes: list[JsonObject]) -> list[JsonObject]:
    """Taxes summed per rate, as `total_details.breakdown.taxes` lists them."""
    by_rate: dict[str, JsonObject] = {}
    for tax in taxes:
        found = by_rate.setdefault(
            tax["rate"]["id"],
            {
                "amount": 0,
                "rate": tax["rate"],
                "taxability_reason": tax["taxability_reason"],
                "taxable_amount": 0,
            },
        )
        found["amount"] += tax["amount"]
        found["taxable_amount"] += tax["taxable_amount"]
    return list(by_rate.values())
