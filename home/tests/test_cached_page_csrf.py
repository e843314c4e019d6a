"""The CSRF token written into a page served from the page cache works like Django's own."""

import pytest
from django.test import Client

from home.tests.helpers import csrf_token_in
from products.models import Product

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]


def add_to_cart(visitor: Client, token: str):
    bank = Product.objects.get(slug="portable-power-bank")
    return visitor.post(
        "/cart/add/", {"csrfmiddlewaretoken": token, "product_id": bank.pk, "quantity": 1}
    )


def test_a_returning_visitor_keeps_their_csrf_cookie_and_its_token_works(seeded_shop):
    Client().get("/")
    visitor = Client(enforce_csrf_checks=True)
    visitor.get("/cart/")
    visitor.get("/")
    cookie = visitor.cookies["csrftoken"].value

    page = visitor.get("/").content.decode()
    added = add_to_cart(visitor, csrf_token_in(page))

    assert visitor.cookies["csrftoken"].value == cookie
    assert added.status_code == 302


def test_each_page_served_carries_a_differently_masked_token(seeded_shop):
    Client().get("/")
    visitor = Client(enforce_csrf_checks=True)
    visitor.get("/")

    first = csrf_token_in(visitor.get("/").content.decode())
    second = csrf_token_in(visitor.get("/").content.decode())

    assert first != second
    assert add_to_cart(visitor, first).status_code == 302


def test_a_token_made_up_by_the_visitor_is_refused(seeded_shop):
    Client().get("/")
    visitor = Client(enforce_csrf_checks=True)
    visitor.get("/")

    assert add_to_cart(visitor, "a" * 64).status_code == 403
