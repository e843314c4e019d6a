"""The test coupons and promotion codes every emulated account has, and what they take off.

Stripe accounts create their own; the emulator has no Coupons API, so it offers two
fixed ones that tests and the hosted page can rely on:

| Promotion code | id | Coupon id | Takes off |
| --- | --- | --- | --- |
| `SAVE10` | `promo_test_save10` | `test_10_percent_off` | 10% of the items |
| `5OFF` | `promo_test_5off` | `test_5_off` | 5.00 in the session's currency |
"""

from __future__ import annotations

from stripe_emulator.money import major_units, round_half_up
from stripe_emulator.store import JsonObject, Store

PERCENT_COUPON_ID = "test_10_percent_off"
FIXED_COUPON_ID = "test_5_off"
PERCENT_PROMOTION_CODE = "SAVE10"
FIXED_PROMOTION_CODE = "5OFF"
_FIXED_AMOUNT_OFF_UNITS = 5


def seed_test_promotions(store: Store) -> None:
    """Add the two test coupons and their promotion codes to a cleared store."""
    now = store.now()
    store.add(_coupon(PERCENT_COUPON_ID, "10% off", now, percent_off=10.0))
    store.add(
        _coupon(
            FIXED_COUPON_ID,
            "5.00 off",
            now,
            amount_off=major_units(_FIXED_AMOUNT_OFF_UNITS, "usd"),
            currency="usd",
        )
    )
    store.add(_promotion_code("promo_test_save10", PERCENT_PROMOTION_CODE, PERCENT_COUPON_ID, now))
    store.add(_promotion_code("promo_test_5off", FIXED_PROMOTION_CODE, FIXED_COUPON_ID, now))


def find_promotion_code(store: Store, code: str) -> JsonObject | None:
    """The active promotion code a customer typed, compared without case as Stripe does."""
    wanted = code.strip().upper()
    for found in store.objects.values():
        if found["object"] == "promotion_code" and found["active"] and found["code"] == wanted:
            return found
    return None


def amount_off(coupon: JsonObject | None, subtotal: int, currency: str) -> int:
    """What the coupon takes off items worth `subtotal`, never more than they cost."""
    if coupon is None:
        return 0
    if coupon["percent_off"] is not None:
        basis_points = round(coupon["percent_off"] * 100)
        return min(subtotal, round_half_up(subtotal * basis_points, 10_000))
    # The fixed coupon counts in whole units of whichever currency the session uses.
    return min(subtotal, major_units(_FIXED_AMOUNT_OFF_UNITS, currency))


def _coupon(
    coupon_id: str,
    name: str,
    now: int,
    *,
    percent_off: float | None = None,
    amount_off: int | None = None,
    currency: str | None = None,
) -> JsonObject:
    return {
        "id": coupon_id,
        "object": "coupon",
        "amount_off": amount_off,
        "applies_to": None,
        "created": now,
        "currency": currency,
        "currency_options": None,
        "duration": "once",
        "duration_in_months": None,
        "livemode": False,
        "max_redemptions": None,
        "metadata": {},
        "name": name,
        "percent_off": percent_off,
        "redeem_by": None,
        "times_redeemed": 0,
        "valid": True,
    }


def _promotion_code(promotion_id: str, code: str, coupon_id: str, now: int) -> JsonObject:
    return {
        "id": promotion_id,
        "object": "promotion_code",
        "active": True,
        "code": code,
        "created": now,
        "customer": None,
        "customer_account": None,
        "expires_at": None,
        "livemode": False,
        "max_redemptions": None,
        "metadata": {},
        "promotion": {"coupon": coupon_id, "type": "coupon"},
        "restrictions": {
            "currency_options": {},
            "first_time_transaction": False,
            "minimum_amount": None,
            "minimum_amount_currency": None,
        },
        "times_redeemed": 0,
    }
