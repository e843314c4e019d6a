from decimal import Decimal

from django.utils.text import slugify

from products.models import Product, ProductVariant, StockLevel


def make_product(name="Test Product", price="10.00", live=True, **fields) -> Product:
    """A product saved the way the admin saves it: with a revision, published if live."""
    product = Product(
        name=name,
        slug=fields.pop("slug", slugify(name)),
        summary=fields.pop("summary", f"All about {name}."),
        price=Decimal(price),
        live=False,
        **fields,
    )
    product.save()
    revision = product.save_revision()
    if live:
        revision.publish()
        product.refresh_from_db()
    return product


def make_variant(product, options, sku, price=None, on_hand=None, **fields) -> ProductVariant:
    """A published variant of the product; with `on_hand`, its stock is tracked and counted."""
    variant = ProductVariant.objects.create(
        product=product,
        options=options,
        sku=sku,
        price=None if price is None else Decimal(price),
        track_stock=on_hand is not None,
        **fields,
    )
    if on_hand is not None:
        set_on_hand(variant, on_hand)
    return variant


def track_stock(product: Product, on_hand: int) -> Product:
    """Count the stock of a product sold without variants, with this many on hand."""
    Product.objects.filter(pk=product.pk).update(track_stock=True)
    product.refresh_from_db()
    set_on_hand(product, on_hand)
    return product


def set_on_hand(item, on_hand: int) -> None:
    owner = "variant" if isinstance(item, ProductVariant) else "product"
    StockLevel.objects.filter(**{owner: item}).update(on_hand=on_hand)


def stock_of(item) -> tuple[int, int]:
    """(on hand, held) of a product or variant, as the database has them now."""
    owner = "variant" if isinstance(item, ProductVariant) else "product"
    level = StockLevel.objects.get(**{owner: item})
    return level.on_hand, level.held
