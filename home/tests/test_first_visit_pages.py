"""A browser on its first visit gets the page as every first visit sees it; one with a session
or a shopper id never does."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import Order
from orders.tests.factories import make_order
from products.models import Product

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]


def cart_count(html: str) -> int:
    return int(re.search(r"data-cart-count[^>]*>(\d+)<", html).group(1))


def test_first_visits_share_a_page_and_returning_shoppers_see_their_own(seeded_shop):
    Client().get("/")
    first_visit = Client().get("/").content.decode()
    shopper = Client()
    bank = Product.objects.get(slug="portable-power-bank")
    shopper.post(reverse("cart_add"), {"product_id": bank.pk, "quantity": 2})
    placed = make_order(
        owner_key=f"session:{shopper.cookies['shopper'].value}",
        status=Order.Status.PAID,
        checkout_open=False,
    )

    returning = shopper.get("/").content.decode()

    assert cart_count(first_visit) == 0 and "Log in" in first_visit
    assert placed.reference not in first_visit
    assert cart_count(returning) == 2
    assert placed.reference in returning
