"""Stock holds: what open checkouts keep aside, released or sold as their orders move on.

Every change is a conditional UPDATE on the StockLevel rows, taken in the order of their ids,
so two checkouts wanting the same units never deadlock and never hold more than is on hand.
The orders decide when: a hold is taken with the order, and Order.move_to releases or sells it.
A change that sells something out or brings it back retires the cached pages once it commits,
so no stored page offers what cannot be bought, nor hides what can.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction

# The module, not the function: the page cache imports the checkout, which imports this module.
from home import page_cache

from .models import StockLevel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hold:
    """Units of one product or variant a checkout wants; `label` names it for the shopper."""

    stock_level_id: int | None
    quantity: int
    label: str


@dataclass(frozen=True)
class Shortage:
    label: str
    wanted: int
    available: int

    @property
    def message(self) -> str:
        if self.available <= 0:
            return f"{self.label} is sold out; please remove it from your cart."
        return (
            f"Only {self.available} of {self.label} left, and your cart has {self.wanted}; "
            "please lower the quantity."
        )


class NotEnoughStock(Exception):
    def __init__(self, shortages: list[Shortage]):
        super().__init__("; ".join(shortage.message for shortage in shortages))
        self.shortages = shortages


def hold(holds: Iterable[Hold]) -> None:
    """Hold every quantity asked for, or none of them: raise NotEnoughStock naming each line
    that is short and how many are left."""
    holds = sorted(holds, key=lambda item: item.stock_level_id or 0)
    if not holds:
        return
    # No savepoint inside a caller's transaction: a shortage raises out of it, and the whole
    # transaction, the caller's writes with the holds taken so far, rolls back.
    with transaction.atomic(savepoint=False):
        for item in holds:
            taken = item.stock_level_id is not None and _change(
                item.stock_level_id, held=item.quantity, only_if_available=True
            )
            if not taken:
                raise NotEnoughStock(_shortages(holds, failed=item))


def _shortages(holds: list[Hold], failed: Hold) -> list[Shortage]:
    ids = [item.stock_level_id for item in holds if item.stock_level_id is not None]
    available = {
        level.pk: level.available
        for level in StockLevel.objects.filter(pk__in=ids).only("on_hand", "held")
    }
    shortages = []
    for item in holds:
        # Holds taken before the failed one count against what is left; they roll back with it.
        left = available.get(item.stock_level_id, 0)
        already_held = holds.index(item) < holds.index(failed)
        if already_held:
            left += item.quantity
        if item is failed or item.quantity > left:
            shortages.append(Shortage(item.label, item.quantity, max(min(left, item.quantity), 0)))
    return shortages


def release(units: dict[int, int]) -> None:
    """Give held units back to what is available: the checkout holding them has closed."""
    for level_id, quantity in sorted(units.items()):
        _change(level_id, held=-quantity)


def sell_held(units: dict[int, int]) -> None:
    """Held units were paid for: they leave the shelf and the hold."""
    for level_id, quantity in sorted(units.items()):
        _change(level_id, on_hand=-quantity, held=-quantity)


def sell_released(units: dict[int, int]) -> list[StockLevel]:
    """Units paid for after their hold was released leave the shelf all the same; return the
    stock levels that had too few left for them (and now show fewer than nothing available)."""
    oversold = []
    for level_id, quantity in sorted(units.items()):
        _change(level_id, on_hand=-quantity)
        level = StockLevel.objects.select_related("product", "variant__product").get(pk=level_id)
        if level.available < 0:
            oversold.append(level)
    return oversold


def _change(level_id: int, *, on_hand: int = 0, held: int = 0, only_if_available=False) -> bool:
    """Move a stock level's counts in one conditional UPDATE; False when nothing was changed
    (`only_if_available`: fewer units available than `held` asks for)."""
    condition = " AND on_hand >= held + %s" if only_if_available else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {StockLevel._meta.db_table} SET on_hand = on_hand + %s, held = held + %s"
            f" WHERE id = %s{condition} RETURNING on_hand - held",
            [on_hand, held, level_id] + ([held] if only_if_available else []),
        )
        row = cursor.fetchone()
    if row is None:
        return False
    available_after = row[0]
    available_before = available_after - on_hand + held
    if (available_before > 0) != (available_after > 0):
        transaction.on_commit(page_cache.forget_cached_pages)
    return True
