import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from home.models import HomePage, HomePageProduct
from products.models import Product

pytestmark = pytest.mark.django_db


def card_order(html: str, products) -> list[str]:
    positions = {p.name: html.find(f'data-product-id="{p.pk}"') for p in products}
    return [name for name, pos in sorted(positions.items(), key=lambda kv: kv[1]) if pos >= 0]


def test_home_page_shows_the_three_starter_products_with_prices(client, seeded_shop):
    html = client.get("/").content.decode()

    for name, price in [
        ("Wireless Bluetooth Headphones", "$99.99"),
        ("Smart Fitness Watch", "$199.99"),
        ("Portable Power Bank", "$49.99"),
    ]:
        assert name in html
        assert price in html


def test_home_page_shows_chosen_products_in_chosen_order(client, seeded_shop):
    home = HomePage.objects.get()
    bank = Product.objects.get(slug="portable-power-bank")
    watch = Product.objects.get(slug="smart-fitness-watch")
    home.show_all_products = False
    home.placed_products = [
        HomePageProduct(product=bank, sort_order=0),
        HomePageProduct(product=watch, sort_order=1),
    ]
    home.save_revision().publish()

    html = client.get("/").content.decode()

    assert card_order(html, Product.objects.all()) == ["Portable Power Bank", "Smart Fitness Watch"]


def test_chosen_but_unpublished_product_is_not_shown(client, seeded_shop):
    home = HomePage.objects.get()
    watch = Product.objects.get(slug="smart-fitness-watch")
    home.show_all_products = False
    home.placed_products = [HomePageProduct(product=watch, sort_order=0)]
    home.save_revision().publish()
    watch.unpublish()

    assert "Smart Fitness Watch" not in client.get("/").content.decode()


def test_seeding_twice_gives_the_same_database(seeded_shop):
    def snapshot():
        from django.contrib.auth.models import Group
        from wagtail.models import GroupPagePermission, Page, Revision

        return (
            list(Product.objects.values_list("slug", "price", "live")),
            list(Page.objects.values_list("id", "path", "title", "live")),
            Revision.objects.count(),
            sorted(
                (g.name, sorted(g.permissions.values_list("codename", flat=True)))
                for g in Group.objects.all()
            ),
            GroupPagePermission.objects.count(),
        )

    before = snapshot()
    call_command("seed_shop", verbosity=0)
    assert snapshot() == before


def test_storefront_query_count_does_not_grow_with_products(
    client, seeded_shop, make_product, settings_kept_in_cache
):
    client.get("/")

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        return len(queries)

    with_three = count_queries()
    for index in range(20):
        make_product(name=f"Extra {index}", price="5.00")
    with_twenty_three = count_queries()

    assert with_twenty_three == with_three
    assert with_three <= 7


def test_product_detail_page_and_404_for_unknown_product(client, seeded_shop):
    assert b"20000mAh" in client.get("/products/portable-power-bank/").content
    missing = client.get("/products/no-such-thing/")
    assert missing.status_code == 404
    assert b"couldn&#x27;t find" in missing.content or b"find that page" in missing.content
