from decimal import Decimal

from django.utils.text import slugify

from products.models import Product


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
