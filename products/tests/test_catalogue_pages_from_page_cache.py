"""Sorted, filtered and paged listings and searches come whole from the page cache when their
address names what they show, and junk in an address is rendered afresh and never stored."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from home.tests.helpers import csrf_token_in
from products import stock
from products.models import Product, StockLevel
from products.tests.catalogue import (
    lamps_under_an_index,
    put_in_category,
)
from products.tests.factories import track_stock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]


@pytest.fixture
def catalogue(seeded_shop, make_product):
    return lamps_under_an_index(make_product)


def listed_names(html: str) -> list[str]:
    return re.findall(r'class="card__title"><a href="[^"]+">([^<]+)</a>', html)


def visit(path: str, client=None) -> tuple[str, int]:
    """The page a visitor is served, and the SQL queries it took."""
    with CaptureQueriesContext(connection) as captured:
        response = (client or Client()).get(path)
    assert response.status_code == 200
    return response.content.decode(), len(captured)


@pytest.mark.parametrize(
    "first_address, second_address",
    [
        ("?sort=price&in_stock=1", "?in_stock=1&sort=price"),
        ("?sort=price-desc&category=lamps", "?category=lamps&sort=price-desc&page=1"),
        ("?sort=featured&category=&in_stock=1", "?in_stock=1"),
    ],
)
def test_a_sorted_and_filtered_listing_is_served_from_the_cache_however_it_is_spelled(
    catalogue, first_address, second_address
):
    url = catalogue["index"].url
    first, first_queries = visit(url + first_address)

    again, queries = visit(url + second_address)

    assert first_queries > 0
    assert queries == 0
    assert listed_names(again) == listed_names(first)
    assert len(listed_names(again)) >= 2


def test_a_sorted_category_page_is_served_from_the_cache(catalogue):
    url = catalogue["lamps"].url
    visit(url + "?sort=price-desc")

    page, queries = visit(url + "?sort=price-desc")

    assert queries == 0
    assert listed_names(page) == ["Floor Lamp", "Desk Lamp"]


def test_a_search_is_served_from_the_cache_for_the_same_words(catalogue):
    first, first_queries = visit("/search/?q=lamp")

    again, queries = visit("/search/?q=%20lamp%20%20&page=1")

    assert first_queries > 0
    assert queries == 0
    assert sorted(listed_names(again)) == ["Desk Lamp", "Floor Lamp"]
    assert 'value="lamp"' in again


@pytest.mark.parametrize(
    "address",
    [
        "?sort=price&utm_source=newsletter",
        "?sort=bogus",
        "?category=no-such-category",
        "?page=7",
        "?page=2x",
        "?sort=price&sort=newest",
        "?q=lamp",
    ],
)
def test_junk_in_a_listing_address_is_rendered_afresh_every_time(catalogue, address):
    url = catalogue["index"].url
    visit(url + "?sort=price")
    visit(url + address)

    page, queries = visit(url + address)

    assert queries > 0
    assert "Desk Lamp" in listed_names(page)


def test_a_category_page_does_not_store_a_category_filter_it_does_not_have(catalogue):
    url = catalogue["lamps"].url + "?category=lamps"
    visit(url)

    _, queries = visit(url)

    assert queries > 0


def test_a_search_page_past_the_end_or_with_junk_is_rendered_afresh(catalogue):
    for address in ["/search/?q=lamp&page=3", "/search/?q=lamp&utm_source=ad"]:
        visit(address)

        page, queries = visit(address)

        assert queries > 0
        assert sorted(listed_names(page)) == ["Desk Lamp", "Floor Lamp"]


def test_publishing_a_product_retires_cached_listings_and_searches(catalogue, make_product):
    sorted_lamps = catalogue["lamps"].url + "?sort=price"
    visit(sorted_lamps)
    visit("/search/?q=lamp")

    put_in_category(make_product("Table Lamp", price="1.00"), catalogue["lamps"])

    assert listed_names(visit(sorted_lamps)[0])[0] == "Table Lamp"
    assert "Table Lamp" in listed_names(visit("/search/?q=lamp")[0])


def test_selling_the_last_unit_retires_a_cached_in_stock_listing(
    catalogue, django_capture_on_commit_callbacks
):
    in_stock = catalogue["lamps"].url + "?in_stock=1"
    lamp = track_stock(Product.objects.get(name="Desk Lamp"), on_hand=1)
    assert "Desk Lamp" in listed_names(visit(in_stock)[0])

    with django_capture_on_commit_callbacks(execute=True):
        stock.hold([stock.Hold(StockLevel.objects.get(product=lamp).pk, 1, "Desk Lamp")])

    assert listed_names(visit(in_stock)[0]) == ["Floor Lamp"]


def test_each_shopper_gets_a_working_csrf_token_of_their_own_on_a_cached_listing(catalogue):
    url = catalogue["lamps"].url + "?sort=price"
    visit(url)
    shopper, other_shopper = Client(enforce_csrf_checks=True), Client()

    html, queries = visit(url, shopper)
    lamp = Product.objects.get(name="Desk Lamp")
    added = shopper.post(
        "/cart/add/",
        {"csrfmiddlewaretoken": csrf_token_in(html), "product_id": lamp.pk, "quantity": 1},
    )

    assert queries == 0
    assert "__csrf_token_placeholder__" not in html
    assert csrf_token_in(html) != csrf_token_in(visit(url, other_shopper)[0])
    assert added.status_code == 302
    assert shopper.session["cart"] == {str(lamp.pk): 1}


def test_a_returning_shopper_sees_their_own_cart_on_a_cached_search(catalogue):
    visit("/search/?q=lamp")
    shopper = Client()
    lamp = Product.objects.get(name="Desk Lamp")
    shopper.post("/cart/add/", {"product_id": lamp.pk, "quantity": 2})
    shopper.get("/cart/")

    page = shopper.get("/search/?q=lamp").content.decode()

    assert 'aria-label="2 items in cart"' in page
    assert sorted(listed_names(page)) == ["Desk Lamp", "Floor Lamp"]


def test_editors_are_never_served_a_cached_listing_or_search(catalogue, django_user_model):
    editor = Client()
    editor.force_login(django_user_model.objects.create_superuser("ed", "ed@example.com", "pw"))
    sorted_index = catalogue["index"].url + "?sort=price"
    for address in [sorted_index, "/search/?q=lamp"]:
        visit(address)

        page, queries = visit(address, editor)

        assert queries > 0
        assert "Desk Lamp" in listed_names(page)
    assert "wagtail-userbar" in visit(sorted_index, editor)[0]
    assert "wagtail-userbar" not in visit(sorted_index)[0]
