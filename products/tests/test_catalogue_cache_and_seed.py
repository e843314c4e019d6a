"""Category and index pages come from the page cache like other CMS pages; a new shop has
categories and pictures to show from its first start."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from home.models import CategoryPage, ProductIndexPage
from products.models import Product
from products.tests.catalogue import make_category, put_in_category

pytestmark = pytest.mark.django_db


def test_a_category_page_is_served_from_the_page_cache_and_refreshed_on_publishing(
    page_cache_on, seeded_shop, make_product
):
    lamps = make_category("Lamps")
    put_in_category(make_product("Desk Lamp"), lamps)
    Client().get(lamps.url)

    with CaptureQueriesContext(connection) as queries:
        cached = Client().get(lamps.url)
    put_in_category(make_product("Floor Lamp"), lamps)

    assert cached.status_code == 200 and "Desk Lamp" in cached.content.decode()
    assert len(queries) == 0
    assert "Floor Lamp" in Client().get(lamps.url).content.decode()


def test_seeding_a_new_shop_makes_a_shop_page_categories_and_pictures(settings, tmp_path, db):
    settings.MEDIA_ROOT = tmp_path

    call_command("seed_shop", verbosity=0)

    index = ProductIndexPage.objects.get()
    assert index.live and index.show_in_menus
    assert CategoryPage.objects.live().count() >= 3
    for product in Product.objects.all():
        assert product.categories.exists(), product
        assert product.image is not None, product
        assert product.gallery_images.exists(), product
        assert product.image.title and product.image.file.size > 0
    client = Client()
    for page in [index, *CategoryPage.objects.all()]:
        html = client.get(page.url).content.decode()
        assert "<picture>" in html and ".webp" in html, page
