"""A predictable stand-in for Stripe Tax: one flat rate per country of the customer's address.

| Country | Rate | Tax |
| --- | --- | --- |
| GB, FR | 20% | VAT |
| DE | 19% | VAT |
| NL, ES | 21% | VAT |
| IT | 22% | VAT |
| IE | 23% | VAT |
| AU | 10% | GST |
| CA | 5% | GST |
| US | 5% | Sales tax |
| any other | none (`not_collecting`) | |

Inclusive prices already hold the tax (it is taken out of them); exclusive prices have
it added. Each line is taxed on its amount after discounts, rounded half up.
"""

from __future__ import annotations

from stripe_emulator.money import round_half_up
from stripe_emulator.store import JsonObject, Store, new_id

TEST_TAX_RATES: dict[str, tuple[int, str, str]] = {
    "AU": (10, "gst", "GST"),
    "CA": (5, "gst", "GST"),
    "DE": (19, "vat", "VAT"),
    "ES": (21, "vat", "VAT"),
    "FR": (20, "vat", "VAT"),
    "GB": (20, "vat", "VAT"),
    "IE": (23, "vat", "VAT"),
    "IT": (22, "vat", "VAT"),
    "NL": (21, "vat", "VAT"),
    "US": (5, "sales_tax", "Sales tax"),
}


def tax_percentage(country: str | None) -> int | None:
    """The test rate for customers in `country`, or None where no tax is collected."""
    found = TEST_TAX_RATES.get(country or "")
    return found[0] if found else None


def tax_on(amount: int, percentage: int, behavior: str) -> int:
    """The tax in `amount` (inclusive) or on top of it (exclusive)."""
    if behavior == "inclusive":
        return round_half_up(amount * percentage, 100 + percentage)
    return round_half_up(amount * percentage, 100)


def tax_rate(store: Store, country: str, inclusive: bool) -> JsonObject:
    """The tax_rate object of the test rate, made once per country and behavior."""
    key = (country, inclusive)
    rate_id = store.tax_rate_ids.get(key)
    if rate_id is None:
        percentage, tax_type, display_name = TEST_TAX_RATES[country]
        rate_id = new_id("txr_")
        store.tax_rate_ids[key] = rate_id
        store.add(
            {
                "id": rate_id,
                "object": "tax_rate",
                "active": True,
                "country": country,
                "created": store.now(),
                "description": None,
                "display_name": display_name,
                "effective_percentage": float(percentage),
                "flat_amount": None,
                "inclusive": inclusive,
                "jurisdiction": country,
                "jurisdiction_level": "country",
                "livemode": False,
                "metadata": {},
                "percentage": float(percentage),
                "rate_type": "percentage",
                "state": None,
                "tax_type": tax_type,
            }
        )
    return store.objects[rate_id]
