"""What the shop's common middleware still does for every answer: redirects for missing pages
(the editors' first, then the added slash), the Content-Security-Policy and X-Frame-Options."""

import pytest
from django.test import Client
from wagtail.contrib.redirects.models import Redirect

pytestmark = pytest.mark.django_db


def test_a_missing_page_with_an_editors_redirect_sends_the_shopper_on(seeded_shop):
    Redirect.objects.create(old_path="/summer", redirect_link="/cart/", is_permanent=False)

    response = Client().get("/summer")

    assert response.status_code == 302
    assert response["Location"] == "/cart/"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_an_address_missing_its_slash_redirects_to_the_one_with_it(seeded_shop):
    response = Client().get("/cart")

    assert response.status_code == 301
    assert response["Location"] == "/cart/"


def test_a_page_that_does_not_exist_says_so_with_the_shops_headers(seeded_shop):
    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response
    assert int(response["Content-Length"]) == len(response.content)


def test_a_message_left_before_a_redirect_is_shown_once(seeded_shop):
    from products.models import Product

    shopper = Client()
    bank = Product.objects.get(slug="portable-power-bank")
    shopper.post("/cart/add/", {"product_id": bank.pk, "quantity": 1})

    first = shopper.get("/cart/").content.decode()
    second = shopper.get("/cart/").content.decode()

    assert "Portable Power Bank was added to your cart." in first
    assert "Portable Power Bank was added to your cart." not in second
