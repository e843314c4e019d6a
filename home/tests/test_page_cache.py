"""First-time visitors get CMS pages from the cache, each with a CSRF token of their own."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from products.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.SHOP_PAGE_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def csrf_token_in(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_second_new_visitor_is_served_without_database_queries(seeded_shop):
    Client().get("/")

    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/")

    assert response.status_code == 200
    assert "Portable Power Bank" in response.content.decode()
    assert len(queries) == 0


def test_each_visitor_gets_a_working_csrf_token_of_their_own(seeded_shop):
    Client().get("/")
    visitor = Client(enforce_csrf_checks=True)

    page = visitor.get("/").content.decode()
    bank = Product.objects.get(slug="portable-power-bank")
    added = visitor.post(
        "/cart/add/",
        {"csrfmiddlewaretoken": csrf_token_in(page), "product_id": bank.pk, "quantity": 1},
    )

    assert "__csrf_token_placeholder__" not in page
    assert added.status_code == 302
    assert visitor.session["cart"] == {str(bank.pk): 1}


def test_publishing_a_product_refreshes_the_cached_page(seeded_shop, make_product):
    Client().get("/")

    make_product(name="Travel Adapter", price="19.50")

    assert "Travel Adapter" in Client().get("/").content.decode()


def test_unpublishing_a_product_refreshes_the_cached_page(seeded_shop):
    Client().get("/")

    Product.objects.get(slug="smart-fitness-watch").unpublish()

    assert "Smart Fitness Watch" not in Client().get("/").content.decode()


def test_visitors_with_a_session_are_never_served_a_shared_page(seeded_shop):
    Client().get("/")
    shopper = Client()
    bank = Product.objects.get(slug="portable-power-bank")
    shopper.post("/cart/add/", {"product_id": bank.pk, "quantity": 3})

    page = shopper.get("/").content.decode()

    assert 'aria-label="3 items in cart"' in page


def test_pages_with_a_query_string_are_not_cached(seeded_shop):
    Client().get("/?utm=1")

    with CaptureQueriesContext(connection) as queries:
        Client().get("/?utm=1")

    assert len(queries) > 0
