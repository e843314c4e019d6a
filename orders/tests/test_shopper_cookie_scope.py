"""The shopper cookie goes out with what a browser navigates to, and nothing else."""

import pytest
from django.test import Client
from django.urls import reverse

from orders.shoppers import COOKIE_NAME
from orders.tests.factories import make_order, session_object
from orders.tests.helpers import post_webhook
from products.models import Product
from stripe_emulator import objects

pytestmark = pytest.mark.django_db


def test_only_pages_and_redirects_hand_a_new_browser_its_shopper_cookie(seeded_shop):
    bank = Product.objects.get(slug="portable-power-bank")
    order = make_order()

    page = Client().get(reverse("cart"))
    redirect = Client().post(reverse("cart_add"), {"product_id": bank.pk, "quantity": 1})
    webhook = post_webhook(
        Client(), objects.event("checkout.session.completed", session_object(order))
    )
    health = Client().get(reverse("healthz"))

    assert page.status_code == 200 and COOKIE_NAME in page.cookies
    assert redirect.status_code == 302 and COOKIE_NAME in redirect.cookies
    assert webhook.status_code == 200 and COOKIE_NAME not in webhook.cookies
    assert health.status_code == 200 and COOKIE_NAME not in health.cookies
