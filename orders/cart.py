"""The shopper's cart, priced from the database: kept in the Django session while the shopper
is anonymous, and with the account (orders.saved_carts) once they sign in."""

import functools
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection

from products.models import Product, ProductVariant, StockLevel
from products.stock import Shortage
from shop.prepared_statements import execute_prepared, model_from_row, selected_columns

from . import saved_carts, session_carts
from .errors import ShopError
from .models import line_key
from .money import to_cents

SESSION_KEY = "cart"
# A request's cart, so the page and its header read a signed-in shopper's cart once.
REQUEST_ATTRIBUTE = "_shop_cart"


def cart_count(request) -> int:
    """What the header shows: the items in the request's cart; none for a request without a
    session (an error page's)."""
    return Cart.for_request(request).count if hasattr(request, "session") else 0


class CartError(ShopError):
    """The cart cannot change as asked."""


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int
    variant: ProductVariant | None = None

    @property
    def key(self) -> str:
        return line_key(self.product.pk, self.variant.pk if self.variant else None)

    @property
    def name(self) -> str:
        """What the shopper picked, as Stripe's page and the order show it."""
        return str(self.variant) if self.variant else self.product.name

    @property
    def unit_price(self) -> Decimal:
        return self.variant.unit_price if self.variant else self.product.price

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def tax_code(self) -> str:
        """Stripe's tax code for what the line sells: the variant's own, else the product's."""
        return (self.variant.tax_code if self.variant else "") or self.product.tax_code

    @property
    def stock_item(self) -> Product | ProductVariant:
        """What the line's stock is counted on: its variant, or the product sold as it is."""
        return self.variant or self.product

    @property
    def shortage(self) -> Shortage | None:
        """What the checkout would refuse this line for now: more asked than is available."""
        available = self.stock_item.stock_available
        if available is None or self.quantity <= available:
            return None
        return Shortage(self.name, self.quantity, max(available, 0))


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


def parse_variant_id(raw) -> int | None:
    """A variant's id, or None when none was sent (a product sold as it is)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise CartError("That option could not be found.")
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise CartError("That option could not be found.")
    return int(text)


def parse_line_key(key: str) -> tuple[int, int | None]:
    product_id, _, variant_id = key.partition(":")
    return int(product_id), int(variant_id) if variant_id else None


def _key_from(raw_product_id, raw_variant_id) -> str:
    return line_key(parse_product_id(raw_product_id), parse_variant_id(raw_variant_id))


class Cart:
    """Lines (a product, or one of its variants) and quantities; prices always come from live
    products.

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
    def line_quantities(self) -> dict[str, int]:
        """What the shopper chose, without prices: line key to quantity."""
        return dict(self._quantities)

    def quantity_of(self, product_id: int, variant_id: int | None = None) -> int:
        return self._quantities.get(line_key(product_id, variant_id), 0)

    def add(self, product_id, quantity, variant_id=None) -> CartLine:
        product = self._live_product(parse_product_id(product_id))
        variant = _chosen_variant(product, parse_variant_id(variant_id))
        added = parse_quantity(quantity)
        line = CartLine(product=product, quantity=added, variant=variant)
        available = line.stock_item.stock_available
        if available is not None and available <= 0:
            raise CartError(f"{line.name} is sold out.")
        key = line.key

        def add_to(quantities: dict[str, int]) -> None:
            if key not in quantities and len(quantities) >= settings.SHOP_MAX_CART_LINES:
                raise CartError(
                    f"Your cart can hold at most {settings.SHOP_MAX_CART_LINES} different products."
                )
            maximum = settings.SHOP_MAX_QUANTITY_PER_LINE
            if quantities.get(key, 0) + added > maximum:
                raise CartError(
                    f"You can buy at most {maximum} of {line.name}; "
                    f"your cart already has {quantities.get(key, 0)}."
                )
            quantities[key] = quantities.get(key, 0) + added

        self._change(add_to)
        return line

    def set_quantity(self, product_id, quantity, variant_id=None) -> None:
        key = _key_from(product_id, variant_id)
        new_quantity = parse_quantity(quantity)

        def set_in(quantities: dict[str, int]) -> None:
            if key not in quantities:
                raise CartError("That product is not in your cart.")
            quantities[key] = new_quantity

        self._change(set_in)

    def remove(self, product_id, variant_id=None) -> None:
        key = _key_from(product_id, variant_id)

        def remove_from(quantities: dict[str, int]) -> None:
            if quantities.pop(key, None) is None:
                raise CartError("That product is not in your cart.")

        self._change(remove_from)

    def replace(self, items: list[tuple[object, object, object]]) -> None:
        """Swap the whole cart for these (product id, quantity, variant id or None), or change
        nothing."""
        if not items:
            raise CartError("Please choose at least one product.")
        if len(items) > settings.SHOP_MAX_CART_LINES:
            raise CartError(
                f"Your cart can hold at most {settings.SHOP_MAX_CART_LINES} different products."
            )
        wanted: dict[str, int] = {}
        for raw_id, raw_quantity, raw_variant_id in items:
            key = _key_from(raw_id, raw_variant_id)
            wanted[key] = wanted.get(key, 0) + parse_quantity(raw_quantity)
            if wanted[key] > settings.SHOP_MAX_QUANTITY_PER_LINE:
                parse_quantity(wanted[key])
        products, variants = _catalogue_for(wanted)
        missing = [
            key
            for key in wanted
            if _unavailable(key, products, variants) or _needs_a_variant(key, products)
        ]
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

    def clear_if_holding(self, bought: dict[str, int]) -> bool:
        """Empty the cart if it holds exactly what was bought; a cart changed since is kept.
        Whether it was emptied."""
        if not self._quantities or self._quantities != bought:
            return False

        def clear_bought(quantities: dict[str, int]) -> None:
            if quantities == bought:
                quantities.clear()

        self._change(clear_bought)
        return not self._quantities

    def absorb(self, other: dict[str, int]) -> list[str]:
        """Add another cart's lines to this one, within the cart's limits; a note for each line
        that could not come along whole."""
        if not other:
            return []
        notices: list[str] = []

        def merge(quantities: dict[str, int]) -> None:
            for key, quantity in other.items():
                quantities[key] = quantities.get(key, 0) + quantity
            products, variants = _catalogue_for(quantities)
            notices.extend(_drop_unavailable(quantities, products, variants))
            notices.extend(_within_limits(quantities, products, variants))

        self._change(merge)
        return notices

    def forget(self) -> None:
        """Take the cart out of the session, which no longer speaks for it."""
        self.session.pop(SESSION_KEY, None)

    def lines(self) -> tuple[list[CartLine], list[str]]:
        """Current lines with live prices, and a note for each product no longer on sale."""
        if not self._quantities:
            return [], []
        products, variants = _catalogue_for(self._quantities)
        quantities = dict(self._quantities)
        notices = _drop_unavailable(quantities, products, variants)
        if notices:
            gone = set(self._quantities) - set(quantities)

            def drop_gone(current: dict[str, int]) -> None:
                for key in gone:
                    current.pop(key, None)

            self._change(drop_gone)
        lines = []
        for key, quantity in self._quantities.items():
            if key in quantities:
                product_id, variant_id = parse_line_key(key)
                variant = variants[variant_id] if variant_id is not None else None
                if variant is not None:
                    variant.product = products[product_id]
                lines.append(CartLine(products[product_id], quantity, variant))
        return lines, notices

    @staticmethod
    def fingerprint(lines: list[CartLine]) -> str:
        """Identifies cart contents and prices, so an unchanged cart reuses its checkout."""
        canonical = ";".join(
            f"{line.key}:{line.quantity}:{to_cents(line.unit_price)}"
            for line in sorted(lines, key=lambda line: line.key)
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    def _live_product(self, product_id: int) -> Product:
        product = _products_with_stock_levels([product_id]).get(product_id)
        if product is None or not product.is_on_sale:
            raise CartError("That product is not on sale any more.")
        return product

    def _change(self, apply: Callable[[dict[str, int]], object]) -> None:
        """Apply a change where the cart is kept; a CartError raised by it changes nothing."""
        if self.user is not None:
            self._quantities = saved_carts.change(self.user, apply)
            return
        stored = session_carts.change(self.session, SESSION_KEY, apply)
        if stored is not None:
            self._quantities = stored
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


def _chosen_variant(product: Product, variant_id: int | None) -> ProductVariant | None:
    """The variant of the product the shopper picked; one must be picked if it has any."""
    if not product.has_variants:
        if variant_id is not None:
            raise CartError(f"{product.name} comes in one version only; please add it as it is.")
        return None
    variants = {variant.pk: variant for variant in product.variants.select_related("stock_level")}
    if variant_id is None:
        if variants:
            raise CartError(f"Please choose an option of {product.name}.")
        return None
    if variant_id not in variants:
        raise CartError(f"That option of {product.name} is not on sale any more.")
    return variants[variant_id]


Catalogue = tuple[dict[int, Product], dict[int, ProductVariant]]


def _catalogue_for(keys) -> Catalogue:
    """The products and variants the cart's line keys name: one query, two with variants."""
    parsed = [parse_line_key(key) for key in keys]
    products = _products_with_stock_levels({product_id for product_id, _ in parsed})
    variant_ids = {variant_id for _, variant_id in parsed if variant_id is not None}
    variants = (
        ProductVariant.objects.select_related("stock_level").in_bulk(variant_ids)
        if variant_ids
        else {}
    )
    return products, variants


def _products_with_stock_levels(product_ids: Iterable[int]) -> dict[int, Product]:
    """The products by id, each with its stock level (for the checkout's hold) and whether it
    has variants, no picture: as Product.objects.select_related("stock_level")
    .with_variants_flag().in_bulk(product_ids) would return them.

    Read on every cart page, cart change and checkout, so written out once and prepared:
    building that query through the ORM took longer than PostgreSQL takes to answer it."""
    ids = sorted(product_ids)
    if not ids:
        return {}
    with connection.cursor() as cursor:
        execute_prepared(cursor, _products_with_stock_levels_sql(len(ids)), ids)
        rows = cursor.fetchall()
    split = len(Product._meta.concrete_fields)
    products = {}
    for row in rows:
        product = model_from_row(Product, row[:split])
        product.annotated_has_variants = bool(row[split])
        level = None
        if row[split + 1] is not None:
            level = model_from_row(StockLevel, row[split + 1 :])
            StockLevel.product.field.set_cached_value(level, product)
        Product.stock_level.related.set_cached_value(product, level)
        products[product.pk] = product
    return products


@functools.lru_cache(maxsize=32)
def _products_with_stock_levels_sql(count: int) -> str:
    quote = connection.ops.quote_name
    variants = quote(ProductVariant._meta.db_table)
    return (
        f"SELECT {selected_columns(Product, 'p')}, "
        f"EXISTS (SELECT 1 FROM {variants} v WHERE v.product_id = p.id), "
        f"{selected_columns(StockLevel, 'level')} "
        f"FROM {quote(Product._meta.db_table)} p "
        f"LEFT JOIN {quote(StockLevel._meta.db_table)} level ON level.product_id = p.id "
        f"WHERE p.id IN ({', '.join(['%s'] * count)})"
    )


def _unavailable(key: str, products: dict[int, Product], variants) -> bool:
    product_id, variant_id = parse_line_key(key)
    product = products.get(product_id)
    if product is None or not product.is_on_sale:
        return True
    if variant_id is None:
        return False
    variant = variants.get(variant_id)
    return variant is None or variant.product_id != product_id


def _needs_a_variant(key: str, products: dict[int, Product]) -> bool:
    """A line naming only a product that is now sold in variants: the shopper must pick one."""
    product_id, variant_id = parse_line_key(key)
    return variant_id is None and products[product_id].has_variants


def _line_name(key: str, products: dict[int, Product], variants) -> str:
    product_id, variant_id = parse_line_key(key)
    product = products.get(product_id)
    if product is None:
        return "A product in your cart"
    variant = variants.get(variant_id) if variant_id is not None else None
    if variant is not None and variant.product_id == product_id:
        variant.product = product
        return str(variant)
    return product.name


def _drop_unavailable(
    quantities: dict[str, int], products: dict[int, Product], variants
) -> list[str]:
    """Take out the products and options no longer on sale; a note for each."""
    notices = []
    for key in list(quantities):
        if _unavailable(key, products, variants):
            notices.append(
                f"{_line_name(key, products, variants)} is no longer on sale and was removed "
                "from your cart."
            )
            del quantities[key]
        elif _needs_a_variant(key, products):
            notices.append(
                f"{products[parse_line_key(key)[0]].name} now comes in several options and was "
                "removed from your cart; please choose one on its page."
            )
            del quantities[key]
    return notices


def _within_limits(quantities: dict[str, int], products: dict[int, Product], variants) -> list[str]:
    """Bring merged lines down to the most a cart may hold, keeping the earliest lines."""
    notices = []
    maximum = settings.SHOP_MAX_QUANTITY_PER_LINE
    for key, quantity in quantities.items():
        if quantity > maximum:
            quantities[key] = maximum
            notices.append(
                f"You can buy at most {maximum} of {_line_name(key, products, variants)}; "
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
