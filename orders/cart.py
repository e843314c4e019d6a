"""The shopper's cart, priced from the database: kept in the Django session while the shopper
is anonymous, and with the account (orders.saved_carts) once they sign in."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from products.models import Product

from . import saved_carts
from .errors import ShopError
from .money import to_cents

SESSION_KEY = "cart"
# A request's cart, so the page and its header read a signed-in shopper's cart once.
REQUEST_ATTRIBUTE = "_shop_cart"


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
    """Product ids and quantities; prices always come from live products.

    An anonymous shopper's cart lives in the session. A signed-in shopper's is read from the
    account on each request and every change is made there, so the cart is the same in every
    tab and on every device, and does not depend on the session store.
    """

    def __init__(self, session, user=None):
        self.session = session
        self.user = _account(user)
        if self.user is None:
            self._quantities: dict[str, int] = dict(session.get(SESSION_KEY, {}))
        else:
            self._quantities = saved_carts.quantities_of(self.user)

    @classmethod
    def for_request(cls, request) -> "Cart":
        """The request's cart, read once however many parts of the page show it."""
        user = _account(getattr(request, "user", None))
        cart = getattr(request, REQUEST_ATTRIBUTE, None)
        if cart is None or cart.user is not user:
            cart = cls(request.session, user)
            setattr(request, REQUEST_ATTRIBUTE, cart)
        return cart

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

        def add_to(quantities: dict[str, int]) -> None:
            if key not in quantities and len(quantities) >= settings.SHOP_MAX_CART_LINES:
                raise CartError(
                    f"Your cart can hold at most {settings.SHOP_MAX_CART_LINES} different products."
                )
            maximum = settings.SHOP_MAX_QUANTITY_PER_LINE
            if quantities.get(key, 0) + added > maximum:
                raise CartError(
                    f"You can buy at most {maximum} of {product.name}; "
                    f"your cart already has {quantities.get(key, 0)}."
                )
            quantities[key] = quantities.get(key, 0) + added

        self._change(add_to)
        return product

    def set_quantity(self, product_id, quantity) -> None:
        key = str(parse_product_id(product_id))
        new_quantity = parse_quantity(quantity)

        def set_in(quantities: dict[str, int]) -> None:
            if key not in quantities:
                raise CartError("That product is not in your cart.")
            quantities[key] = new_quantity

        self._change(set_in)

    def remove(self, product_id) -> None:
        key = str(parse_product_id(product_id))

        def remove_from(quantities: dict[str, int]) -> None:
            if quantities.pop(key, None) is None:
                raise CartError("That product is not in your cart.")

        self._change(remove_from)

    def replace(self, items: list[tuple[object, object]]) -> None:
        """Swap the whole cart for these (product id, quantity) pairs, or change nothing."""
        if not items:
            raise CartError("Please choose at least one product.")
        if len(items) > settings.SHOP_MAX_CART_LINES:
            raise CartError(
                f"Your cart can hold at most {settings.SHOP_MAX_CART_LINES} different products."
            )
        wanted: dict[str, int] = {}
        for raw_id, raw_quantity in items:
            key = str(parse_product_id(raw_id))
            wanted[key] = wanted.get(key, 0) + parse_quantity(raw_quantity)
            if wanted[key] > settings.SHOP_MAX_QUANTITY_PER_LINE:
                parse_quantity(wanted[key])
        live_ids = set(
            Product.objects.live()
            .filter(pk__in=[int(key) for key in wanted])
            .values_list("pk", flat=True)
        )
        missing = [key for key in wanted if int(key) not in live_ids]
        if missing:
            raise CartError(
                f"Product {', '.join(missing)} is not on sale. "
                "Please refresh the shop and try again."
            )

        def swap(quantities: dict[str, int]) -> None:
            quantities.clear()
            quantities.update(wanted)

        self._change(swap)

    def clear(self) -> None:
        self._change(dict.clear)

    def clear_if_holding(self, bought: dict[int, int]) -> None:
        """Empty the cart if it holds exactly what was bought; a cart changed since is kept."""

        def clear_bought(quantities: dict[str, int]) -> None:
            if {int(key): quantity for key, quantity in quantities.items()} == bought:
                quantities.clear()

        self._change(clear_bought)

    def absorb(self, other: dict[int, int]) -> list[str]:
        """Add another cart's lines to this one, within the cart's limits; a note for each line
        that could not come along whole."""
        if not other:
            return []
        notices: list[str] = []

        def merge(quantities: dict[str, int]) -> None:
            for product_id, quantity in other.items():
                key = str(product_id)
                quantities[key] = quantities.get(key, 0) + quantity
            products = Product.objects.in_bulk([int(key) for key in quantities])
            notices.extend(_drop_unavailable(quantities, products))
            notices.extend(_within_limits(quantities, products))

        self._change(merge)
        return notices

    def forget(self) -> None:
        """Take the cart out of the session, which no longer speaks for it."""
        self.session.pop(SESSION_KEY, None)

    def lines(self) -> tuple[list[CartLine], list[str]]:
        """Current lines with live prices, and a note for each product no longer on sale."""
        if not self._quantities:
            return [], []
        products = Product.objects.select_related("image").in_bulk(
            [int(key) for key in self._quantities]
        )
        quantities = dict(self._quantities)
        notices = _drop_unavailable(quantities, products)
        if notices:
            gone = set(self._quantities) - set(quantities)

            def drop_gone(current: dict[str, int]) -> None:
                for key in gone:
                    current.pop(key, None)

            self._change(drop_gone)
        lines = [
            CartLine(product=products[int(key)], quantity=quantity)
            for key, quantity in self._quantities.items()
            if key in quantities
        ]
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

    def _change(self, apply: Callable[[dict[str, int]], object]) -> None:
        """Apply a change where the cart is kept; a CartError raised by it changes nothing."""
        if self.user is not None:
            self._quantities = saved_carts.change(self.user, apply)
            return
        quantities = dict(self._quantities)
        apply(quantities)
        if list(quantities.items()) != list(self._quantities.items()):
            self._quantities = quantities
            self.session[SESSION_KEY] = quantities
            self.session.modified = True


def _account(user):
    """The signed-in user whose account keeps the cart, or None for an anonymous shopper."""
    return user if user is not None and user.is_authenticated else None


def _drop_unavailable(quantities: dict[str, int], products: dict[int, Product]) -> list[str]:
    """Take out the products no longer on sale; a note for each."""
    notices = []
    for key in list(quantities):
        product = products.get(int(key))
        if product is not None and product.live:
            continue
        del quantities[key]
        name = product.name if product is not None else "A product in your cart"
        notices.append(f"{name} is no longer on sale and was removed from your cart.")
    return notices


def _within_limits(quantities: dict[str, int], products: dict[int, Product]) -> list[str]:
    """Bring merged lines down to the most a cart may hold, keeping the earliest lines."""
    notices = []
    maximum = settings.SHOP_MAX_QUANTITY_PER_LINE
    for key, quantity in quantities.items():
        if quantity > maximum:
            quantities[key] = maximum
            notices.append(
                f"You can buy at most {maximum} of {products[int(key)].name}; "
                f"your cart now has {maximum}."
            )
    extra = list(quantities)[settings.SHOP_MAX_CART_LINES :]
    for key in extra:
        del quantities[key]
    if extra:
        notices.append(
            f"Your cart can hold at most {settings.SHOP_MAX_CART_LINES} different products; "
            f"{len(extra)} of those added before you signed in were left out."
        )
    return notices
