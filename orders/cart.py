"""The shopper's cart, kept in the Django session and priced from the database."""

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from products.models import Product

from .errors import ShopError
from .money import to_cents

SESSION_KEY = "cart"


class CartError(ShopError):
    """The cart cannot change as asked."""


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int

    @property
    def unit_price(self) -> Decimal:
        return self.product.price

    @property
    def line_total(self) -> Decimal:
        return self.product.price * self.quantity


def parse_quantity(raw) -> int:
    """A whole number from 1 to the per-line maximum, or a CartError saying what is allowed."""
    maximum = settings.SHOP_MAX_QUANTITY_PER_LINE
    message = f"Please choose a quantity from 1 to {maximum}."
    if isinstance(raw, bool):
        raise CartError(message)
    if isinstance(raw, int):
        quantity = raw
    else:
        text = str(raw).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 6:
            raise CartError(message)
        quantity = int(text)
    if not 1 <= quantity <= maximum:
        raise CartError(message)
    return quantity


def parse_product_id(raw) -> int:
    if isinstance(raw, bool):
        raise CartError("That product could not be found.")
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise CartError("That product could not be found.")
    return int(text)


class Cart:
    """Product ids and quantities in the session; prices always come from live products."""

    def __init__(self, session):
        self.session = session
        self._quantities: dict[str, int] = dict(session.get(SESSION_KEY, {}))

    @property
    def count(self) -> int:
        return sum(self._quantities.values())

    def __len__(self):
        return len(self._quantities)

    @property
    def product_quantities(self) -> dict[int, int]:
        """What the shopper chose, without prices: product id to quantity."""
        return {int(key): quantity for key, quantity in self._quantities.items()}

    def quantity_of(self, product_id: int) -> int:
        return self._quantities.get(str(product_id), 0)

    def add(self, product_id, quantity) -> Product:
        product = self._live_product(parse_product_id(product_id))
        added = parse_quantity(quantity)
        key = str(product.pk)
        if key not in self._quantities and len(self._quantities) >= settings.SHOP_MAX_CART_LINES:
            raise CartError(
                f"Your cart can hold at most {settings.SHOP_MAX_CART_LINES} different products."
            )
        new_quantity = self._quantities.get(key, 0) + added
        maximum = settings.SHOP_MAX_QUANTITY_PER_LINE
        if new_quantity > maximum:
            raise CartError(
                f"You can buy at most {maximum} of {product.name}; "
                f"your cart already has {self._quantities.get(key, 0)}."
            )
        self._quantities[key] = new_quantity
        self._save()
        return product

    def set_quantity(self, product_id, quantity) -> None:
        key = str(parse_product_id(product_id))
        if key not in self._quantities:
            raise CartError("That product is not in your cart.")
        self._quantities[key] = parse_quantity(quantity)
        self._save()

    def remove(self, product_id) -> None:
        key = str(parse_product_id(product_id))
        if self._quantities.pop(key, None) is None:
            raise CartError("That product is not in your cart.")
        self._save()

    def replace(self, items: list[tuple[object, object]]) -> None:
        """Swap the whole cart for these (product id, quantity) pairs, or change nothing."""
        if not items:
            raise CartError("Please choose at least one product.")
        if len(items) > settings.SHOP_MAX_CART_LINES:
            raise CartError(
                f"Your cart can hold at most {settings.SHOP_MAX_CART_LINES} different products."
            )
        quantities: dict[str, int] = {}
        for raw_id, raw_quantity in items:
            key = str(parse_product_id(raw_id))
            quantities[key] = quantities.get(key, 0) + parse_quantity(raw_quantity)
            if quantities[key] > settings.SHOP_MAX_QUANTITY_PER_LINE:
                parse_quantity(quantities[key])
        live_ids = set(
            Product.objects.live()
            .filter(pk__in=[int(key) for key in quantities])
            .values_list("pk", flat=True)
        )
        missing = [key for key in quantities if int(key) not in live_ids]
        if missing:
            raise CartError(
                f"Product {', '.join(missing)} is not on sale. "
                "Please refresh the shop and try again."
            )
        self._quantities = quantities
        self._save()

    def clear(self) -> None:
        self._quantities = {}
        self._save()

    def lines(self) -> tuple[list[CartLine], list[str]]:
        """Current lines with live prices, and a note for each product no longer on sale."""
        if not self._quantities:
            return [], []
        products = Product.objects.select_related("image").in_bulk(
            [int(key) for key in self._quantities]
        )
        lines, notices = [], []
        for key, quantity in list(self._quantities.items()):
            product = products.get(int(key))
            if product is not None and product.live:
                lines.append(CartLine(product=product, quantity=quantity))
                continue
            del self._quantities[key]
            name = product.name if product is not None else "A product in your cart"
            notices.append(f"{name} is no longer on sale and was removed from your cart.")
        if notices:
            self._save()
        return lines, notices

    @staticmethod
    def fingerprint(lines: list[CartLine]) -> str:
        """Identifies cart contents and prices, so an unchanged cart reuses its checkout."""
        canonical = ";".join(
            f"{line.product.pk}:{line.quantity}:{to_cents(line.product.price)}"
            for line in sorted(lines, key=lambda line: line.product.pk)
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    def _live_product(self, product_id: int) -> Product:
        try:
            return Product.objects.live().get(pk=product_id)
        except Product.DoesNotExist:
            raise CartError("That product is not on sale any more.") from None

    def _save(self) -> None:
        self.session[SESSION_KEY] = self._quantities
        self.session.modified = True
