"""Categories and a product index placed in the page tree the way an editor places them."""

from home.models import CategoryPage, HomePage, ProductIndexPage
from products.models import Product


def make_category(title: str, *, parent=None, live: bool = True) -> CategoryPage:
    parent = parent or HomePage.objects.get()
    category = CategoryPage(title=title, intro=f"<p>All about {title}.</p>")
    parent.add_child(instance=category)
    revision = category.save_revision()
    if live:
        revision.publish()
    else:
        category.unpublish()
    return category


def make_product_index(title: str = "All products") -> ProductIndexPage:
    index = ProductIndexPage(title=title, slug="all-products")
    HomePage.objects.get().add_child(instance=index)
    index.save_revision().publish()
    return index


def put_in_category(product: Product, *categories: CategoryPage) -> Product:
    """As an editor does: tick the categories in the product editor and publish."""
    product.categories.add(*categories)
    if product.live:
        product.save_revision().publish()
    else:
        product.save()
        product.save_revision()
    product.refresh_from_db()
    return product


def lamps_under_an_index(make_product) -> dict:
    """A product index with one category, Lamps, holding two live lamps."""
    index = make_product_index()
    lamps = make_category("Lamps", parent=index)
    put_in_category(make_product("Desk Lamp", price="30.00"), lamps)
    put_in_category(make_product("Floor Lamp", price="90.00"), lamps)
    return {"index": index, "lamps": lamps}
