"""SQL queries per catalogue page are pinned: they must not grow with the number of products."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import Site

from products.models import ProductImage
from products.tests.catalogue import make_category, make_product_index, put_in_category
from shop.models import ShopSettings

pytestmark = pytest.mark.django_db

# Wagtail's routing, view restrictions and breadcrumbs take most of a page's queries; anonymous
# visitors get the page from the page cache without any of them.
CATEGORY_PAGE = 13
PRODUCT_INDEX_PAGE = 13
SEARCH_PAGE = 4
SUGGESTIONS = 1
# The product, its pictures, its variants and their stock, and the page's shared parts.
PRODUCT_PAGE = 7


@pytest.fixture
def catalogue(seeded_shop, make_product, settings, tmp_path, settings_kept_in_cache):
    settings.MEDIA_ROOT = tmp_path
    ShopSettings.cached_for_site(Site.objects.get(is_default_site=True))
    index = make_product_index()
    lamps = make_category("Lamps", parent=index)
    picture = get_image_model().objects.create(title="A lamp", file=get_test_image_file())

    def grow_to(count: int):
        for number in range(ProductImage.objects.count(), count):
            product = make_product(f"Lamp {number:03}", image=picture)
            product.gallery_images.add(ProductImage(image=picture))
            put_in_category(product, lamps)

    return {"index": index, "lamps": lamps, "grow_to": grow_to}


def queries(client, path, data=None) -> int:
    client.get(path, data)  # renditions are made once, on the first visit
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, data)
    assert response.status_code == 200
    return len(captured)


def test_catalogue_pages_cost_the_same_queries_with_three_products_or_forty(client, catalogue):
    def measure():
        return {
            "category": queries(client, catalogue["lamps"].url),
            "index": queries(client, catalogue["index"].url, {"sort": "price", "in_stock": "1"}),
            "search": queries(client, "/search/", {"q": "lamp"}),
            "suggestions": queries(client, "/search/suggestions/", {"q": "lam"}),
            "product": queries(client, "/products/lamp-000/"),
        }

    catalogue["grow_to"](3)
    small = measure()
    catalogue["grow_to"](40)
    large = measure()

    pinned = {
        "category": CATEGORY_PAGE,
        "index": PRODUCT_INDEX_PAGE,
        "search": SEARCH_PAGE,
        "suggestions": SUGGESTIONS,
        "product": PRODUCT_PAGE,
    }
    assert small == pinned
    assert large == pinned
