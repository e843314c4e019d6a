"""Where a signed-in shopper's cart is kept: one row per account, changed only under its lock.

Every change reads the row as it is now, under the lock, and applies the one change the shopper
asked for, so two tabs or devices changing the cart at once each keep the other's lines.
"""

from collections.abc import Callable

from django.db import transaction

from .models import SavedCart, line_key

Quantities = dict[str, int]


def quantities_of(user) -> Quantities:
    lines = SavedCart.objects.filter(user=user).values_list("lines", flat=True).first()
    return _as_quantities(lines or [])


def change(user, apply: Callable[[Quantities], None]) -> Quantities:
    """Apply a change to the account's cart and return the cart it leaves; an exception raised
    by the change leaves the cart as it was."""
    with transaction.atomic():
        saved, _created = SavedCart.objects.select_for_update().get_or_create(user=user)
        before = _as_quantities(saved.lines)
        quantities = dict(before)
        apply(quantities)
        if list(quantities.items()) != list(before.items()):
            saved.lines = [_as_line(key, quantity) for key, quantity in quantities.items()]
            saved.save(update_fields=["lines", "updated_at"])
    return quantities


def _as_quantities(lines: list) -> Quantities:
    return {
        line_key(product_id, *variant_id): quantity for product_id, quantity, *variant_id in lines
    }


def _as_line(key: str, quantity: int) -> list[int]:
    """[product id, quantity], with the variant's id third for a product sold in variants."""
    product_id, _, variant_id = key.partition(":")
    return [int(product_id), quantity, *([int(variant_id)] if variant_id else [])]
