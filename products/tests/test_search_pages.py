"""Search results: what a shopper is shown for what they typed, best match first, a page at a
time with the number found, for the same queries however big the catalogue grows."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.search.backends import get_search_backend

from products.models import Product
from products.tests.catalogue import make_category, put_in_category
from products.tests.factories import make_variant

pytestmark = pytest.mark.django_db

# The page of matches with their number, the cards' pictures, and the page's site and menu.
SEARCH_PAGE_QUERIES = 4


def search_page(client, query, page=None) -> str:
    data = {"q": query} if page is None else {"q": query, "page": page}
    response = client.get("/search/", data)
    assert response.status_code == 200
    return response.content.decode()


def names(html: str) -> list[str]:
    return re.findall(r'class="card__title"><a href="[^"]+">([^<]+)</a>', html)


def result_count(html: str) -> str:
    return re.search(r'<p class="listing-count" role="status">([^<]*)</p>', html)[1]


def page_of(html: str) -> str:
    found = re.search(r"<span>(Page \d+ of \d+)</span>", html)
    return found[1] if found else ""


def add_lamps(count: int, *, start: int = 0, **fields) -> list[Product]:
    """Lamps added in bulk and indexed, as an import adds them."""
    now = timezone.now()
    fields = {"live": True, "first_published_at": now, "last_published_at": now, **fields}
    lamps = Product.objects.bulk_create(
        Product(
            name=f"Reading lamp {number:03}",
            slug=f"reading-lamp-{number:03}",
            summary="A lamp to read by.",
            price="20.00",
            **fields,
        )
        for number in range(start, start + count)
    )
    get_search_backend().add_bulk(Product, lamps)
    return lamps


def test_a_search_lists_only_live_products_and_counts_only_them(client, seeded_shop):
    add_lamps(26)
    add_lamps(3, start=100, live=False)
    add_lamps(2, start=200, expire_at=timezone.now() - timedelta(minutes=1))

    first = search_page(client, "lamp")
    second = search_page(client, "lamp", page="2")

    assert result_count(first) == "26 results for “lamp”"
    assert result_count(second) == "26 results for “lamp”"
    listed = names(first) + names(second)
    assert len(listed) == 26
    assert sorted(listed) == [f"Reading lamp {number:03}" for number in range(26)]


def test_the_best_match_comes_first(client, seeded_shop, make_product):
    make_product(
        "Walnut Shelf", summary="A walnut shelf.", description="<p>Solid walnut, oiled.</p>"
    )
    make_product("Oak Shelf", summary="An oak shelf.", description="<p>On walnut feet.</p>")
    make_product("Pine Shelf", summary="A pine shelf.")

    assert names(search_page(client, "walnut")) == ["Walnut Shelf", "Oak Shelf"]
    assert names(search_page(client, "walnut shelf")) == ["Walnut Shelf", "Oak Shelf"]


def test_pages_follow_one_another_and_a_page_past_the_end_shows_the_last(client, seeded_shop):
    add_lamps(30)

    first = search_page(client, "lamp")
    second = search_page(client, "lamp", page="2")

    assert len(names(first)) == 24 and page_of(first) == "Page 1 of 2"
    assert 'rel="next" href="?q=lamp&amp;page=2"' in first
    assert len(names(second)) == 6 and page_of(second) == "Page 2 of 2"
    assert 'rel="prev" href="?q=lamp"' in second
    assert set(names(first)).isdisjoint(names(second))
    for past_the_end in ["3", "999999", "99999999999", "0", "-1"]:
        shown = search_page(client, "lamp", page=past_the_end)
        assert names(shown) == names(second), past_the_end
        assert result_count(shown) == "30 results for “lamp”"
    for not_a_number in ["", "two", "1.5", "x" * 300]:
        assert names(search_page(client, "lamp", page=not_a_number)) == names(first)


def test_a_search_finds_products_by_variant_sku_and_by_category(client, seeded_shop, make_product):
    put_in_category(make_product("Copper Kettle"), make_category("Kitchenware"))
    put_in_category(make_product("Steel Teapot"), make_category("Tea time"))
    make_variant(make_product("Linen Apron"), {"Size": "M"}, sku="APR-LIN-M")
    Product.objects.get(name="Linen Apron").save_revision().publish()

    assert names(search_page(client, "kitchenware")) == ["Copper Kettle"]
    assert names(search_page(client, "tea time")) == ["Steel Teapot"]
    assert names(search_page(client, "APR-LIN-M")) == ["Linen Apron"]


def test_a_query_of_punctuation_only_finds_nothing_and_says_so(client, seeded_shop):
    html = search_page(client, "?!.,;:'\"()&|*")

    assert names(html) == []
    assert result_count(html).startswith("0 results for")
    assert "No products match" in html


def test_an_over_long_query_is_cut_and_still_searched(client, seeded_shop):
    add_lamps(2)

    html = search_page(client, "lamp " * 200)

    assert sorted(names(html)) == ["Reading lamp 000", "Reading lamp 001"]
    assert "lamp " * 21 not in html


def queries(client, query, page=None) -> int:
    search_page(client, query, page)  # renditions and cached settings are made on a first visit
    with CaptureQueriesContext(connection) as captured:
        search_page(client, query, page)
    return len(captured)


def test_a_search_costs_the_same_queries_with_30_or_300_products(
    client, seeded_shop, settings_kept_in_cache
):
    picture = get_image_model().objects.create(title="A lamp", file=get_test_image_file())
    add_lamps(30, image=picture)
    small = [queries(client, "lamp"), queries(client, "lamp", page="2")]
    add_lamps(270, start=30, image=picture)
    large = [queries(client, "lamp"), queries(client, "lamp", page="2")]

    assert small == large == [SEARCH_PAGE_QUERIES, SEARCH_PAGE_QUERIES]


def test_new_search_entries_go_straight_into_the_indexes_searches_read(db):
    """No pending list for each search or suggestion to read through until a vacuum merges it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relname IN %s ORDER BY relname",
            [("wagtailsearch_indexentry_title_body_gin", "wagtailsear_autocom_476c89_gin")],
        )
        assert cursor.fetchall() == [
            ("wagtailsear_autocom_476c89_gin", ["fastupdate=off"]),
            ("wagtailsearch_indexentry_title_body_gin", ["fastupdate=off"]),
        ]


def test_products_are_indexed_by_the_id_search_entries_name_them_by(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'product_search_object_id'"
        )
        assert "((id)::character varying(50))" in cursor.fetchone()[0]
