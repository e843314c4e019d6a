"""Sorted and filtered listings and searches are served from the cache, yet show every change."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from home.tests.helpers import csrf_token_in
from products.models import Product
from products.tests.catalogue import (
    lamps_under_an_index,
    put_in_category,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]


@pytest.fixture
def catalogue(seeded_shop, make_product):
    return lamps_under_an_index(make_product)


def listed_names(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'class="card__title"><a href="[^"]+">([^<]+)</a>', response.content.decode())


def warm_up(path):
    """A first render fills the shop's own cached settings; an unlisted category is not stored."""
    Client().get(path, {"category": "warm-up"})


def queries_for(path, data) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = Client().get(path, data)
    assert response.status_code == 200
    return len(captured)


def test_a_sorted_listing_seen_again_skips_the_listing_queries(catalogue):
    url = catalogue["index"].url
    warm_up(url)
    first = queries_for(url, {"sort": "price", "in_stock": "1"})

    again = queries_for(url, {"sort": "price", "in_stock": "1", "utm_source": "mail"})

    # The count, the page of products and the category menu are not asked.
    assert again <= first - 3


def test_a_search_seen_again_skips_the_search_queries(catalogue):
    first = queries_for("/search/", {"q": "lamp"})

    again = queries_for("/search/", {"q": "lamp"})

    # The page of matches with their count, and the cards' pictures, are not asked.
    assert again <= first - 2
    assert sorted(listed_names(Client().get("/search/", {"q": "lamp"}))) == [
        "Desk Lamp",
        "Floor Lamp",
    ]


def test_a_stored_listing_shows_the_sort_asked_for_and_a_product_just_published(
    catalogue, make_product
):
    url = catalogue["lamps"].url
    Client().get(url, {"sort": "price"})
    Client().get(url, {"sort": "price-desc"})

    assert listed_names(Client().get(url, {"sort": "price"}))[:2] == ["Desk Lamp", "Floor Lamp"]
    assert listed_names(Client().get(url, {"sort": "price-desc"}))[-1] == "Desk Lamp"

    put_in_category(make_product("Table Lamp", price="1.00"), catalogue["lamps"])

    assert listed_names(Client().get(url, {"sort": "price"}))[0] == "Table Lamp"
    assert "Table Lamp" in listed_names(Client().get("/search/", {"q": "lamp"}))


def test_a_product_withdrawn_leaves_stored_listings_and_searches(catalogue):
    url = catalogue["lamps"].url
    Client().get(url, {"sort": "price"})
    Client().get("/search/", {"q": "lamp"})

    Product.objects.get(name="Desk Lamp").unpublish()

    assert listed_names(Client().get(url, {"sort": "price"})) == ["Floor Lamp"]
    assert listed_names(Client().get("/search/", {"q": "lamp"})) == ["Floor Lamp"]


def test_each_shopper_gets_a_working_csrf_token_in_a_stored_listing(catalogue):
    url = catalogue["lamps"].url
    Client().get(url, {"sort": "price"})
    shopper = Client(enforce_csrf_checks=True)

    html = shopper.get(url, {"sort": "price"}).content.decode()
    lamp = Product.objects.get(name="Desk Lamp")
    added = shopper.post(
        "/cart/add/",
        {"csrfmiddlewaretoken": csrf_token_in(html), "product_id": lamp.pk, "quantity": 1},
    )

    assert "__csrf_token_placeholder__" not in html
    assert added.status_code == 302
    assert shopper.session["cart"] == {str(lamp.pk): 1}


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "bogus", "page": "x" * 300},
        {"page": "99999999999"},
        {"category": "no-such-category", "page": "7"},
        {"category": "\x00" * 400},
    ],
)
def test_odd_listing_addresses_show_a_default_listing_and_are_not_stored(catalogue, params):
    url = catalogue["index"].url
    warm_up(url)

    first = queries_for(url, params)
    again = queries_for(url, params)

    assert "Desk Lamp" in listed_names(Client().get(url, params))
    assert again == first


def test_a_page_past_the_end_shows_the_last_page_without_being_stored(catalogue):
    url = catalogue["lamps"].url
    warm_up(url)

    assert listed_names(Client().get(url, {"page": "5"})) == ["Desk Lamp", "Floor Lamp"]
    assert queries_for(url, {"page": "5"}) == queries_for(url, {"page": "5"})
    assert queries_for(url, {"page": "1"}) > queries_for(url, {"page": "1"})
