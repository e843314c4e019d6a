"""Category pages and the product index list live products, sorted, filtered and paged as asked."""

import re

import pytest
from django.utils import timezone

from products.listing import PAGE_SIZE
from products.models import Product
from products.tests.catalogue import make_category, make_product_index, put_in_category

pytestmark = pytest.mark.django_db


def listed_names(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'class="card__title"><a href="[^"]+">([^<]+)</a>', response.content.decode())


@pytest.fixture
def catalogue(seeded_shop, make_product):
    index = make_product_index()
    lamps = make_category("Lamps")
    chairs = make_category("Chairs")
    put_in_category(make_product("Desk Lamp", price="30.00"), lamps)
    put_in_category(make_product("Floor Lamp", price="90.00"), lamps)
    put_in_category(make_product("Reading Chair", price="150.00"), chairs, lamps)
    put_in_category(make_product("Draft Lamp", price="10.00", live=False), lamps)
    return {"index": index, "lamps": lamps, "chairs": chairs}


def test_a_category_page_lists_its_live_products_and_no_drafts(client, catalogue):
    names = listed_names(client.get(catalogue["lamps"].url))

    assert sorted(names) == ["Desk Lamp", "Floor Lamp", "Reading Chair"]


def test_a_product_in_two_categories_is_listed_on_both(client, catalogue):
    assert "Reading Chair" in listed_names(client.get(catalogue["chairs"].url))
    assert "Reading Chair" in listed_names(client.get(catalogue["lamps"].url))


def test_the_product_index_sorts_by_price_both_ways_and_by_newest(client, catalogue):
    url = catalogue["index"].url
    by_price = listed_names(client.get(url, {"sort": "price"}))
    assert (
        by_price.index("Desk Lamp") < by_price.index("Floor Lamp") < by_price.index("Reading Chair")
    )
    assert listed_names(client.get(url, {"sort": "price-desc"}))[0] == "Smart Fitness Watch"
    assert listed_names(client.get(url, {"sort": "newest"}))[0] == "Reading Chair"


def test_the_product_index_filters_by_category(client, catalogue):
    names = listed_names(client.get(catalogue["index"].url, {"category": "chairs"}))

    assert names == ["Reading Chair"]


def test_the_in_stock_filter_keeps_only_products_in_stock(client, catalogue):
    every = listed_names(client.get(catalogue["index"].url))
    in_stock = listed_names(client.get(catalogue["index"].url, {"in_stock": "1"}))

    assert set(in_stock) <= set(every) and in_stock


def test_the_product_index_pages_through_every_live_product(client, seeded_shop, make_product):
    index = make_product_index()
    seeded = Product.objects.live().count()
    for number in range(PAGE_SIZE + 5):
        make_product(f"Widget {number:02}", price="5.00")

    first = listed_names(client.get(index.url, {"sort": "price"}))
    second_response = client.get(index.url, {"sort": "price", "page": "2"})
    second = listed_names(second_response)

    assert len(first) == PAGE_SIZE
    assert len(first) + len(second) == PAGE_SIZE + 5 + seeded
    assert not set(first) & set(second)
    assert 'href="?sort=price"' in second_response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"sort": "'; DROP TABLE products_product; --"},
        {"page": "not-a-number"},
        {"page": "99999"},
        {"page": "-3"},
        {"page": "9" * 5000},
        {"category": "no-such-category"},
        {"category": "\x00"},
        {"in_stock": "maybe"},
    ],
)
def test_odd_listing_addresses_still_show_products(client, catalogue, query):
    response = client.get(catalogue["index"].url, query)

    assert response.status_code == 200
    assert listed_names(response)


def test_an_expired_product_leaves_listings_before_the_scheduler_unpublishes_it(
    client, catalogue, make_product
):
    product = put_in_category(make_product("Old Lamp"), catalogue["lamps"])
    type(product).objects.filter(pk=product.pk).update(
        expire_at=timezone.now() - timezone.timedelta(minutes=1)
    )

    assert "Old Lamp" not in listed_names(client.get(catalogue["lamps"].url))
    assert client.get(product.get_absolute_url()).status_code == 404


def test_category_pages_have_breadcrumbs_and_the_menu_marks_where_the_shopper_is(client, catalogue):
    index = catalogue["index"]
    index.show_in_menus = True
    index.save_revision().publish()
    shelf = make_category("Shelves", parent=index)

    index_html = client.get(index.url).content.decode()
    shelf_html = client.get(shelf.url).content.decode()

    assert f'<a href="{index.url}" aria-current="page">All products</a>' in index_html
    assert f'<a href="{index.url}" aria-current="true">All products</a>' in shelf_html
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', shelf_html, re.S)[0]
    assert re.findall(r"<a [^>]*>([^<]+)</a>", crumbs) == ["Home", "All products"]
    assert '<span aria-current="page">Shelves</span>' in crumbs


def test_a_product_page_has_breadcrumbs_through_its_category(client, catalogue):
    from products.models import Product

    html = client.get(Product.objects.get(name="Desk Lamp").get_absolute_url()).content.decode()

    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', html, re.S)[0]
    assert re.findall(r"<a [^>]*>([^<]+)</a>", crumbs) == ["Home", "Lamps"]
