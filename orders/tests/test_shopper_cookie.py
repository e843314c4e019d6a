"""Every browser is known by a shopper cookie from its first response; logging out starts afresh."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order
from orders.shoppers import COOKIE_NAME, SHOPPER_ID, SHOPPER_SESSION_KEY
from orders.tests.factories import make_order
from products.models import Product

pytestmark = pytest.mark.django_db


def shopper_cookie(response):
    return response.cookies.get(COOKIE_NAME)


def test_first_page_sets_a_long_lived_http_only_shopper_cookie(seeded_shop):
    response = Client().get("/")

    cookie = shopper_cookie(response)
    assert SHOPPER_ID.match(cookie.value)
    assert cookie["max-age"] == 365 * 24 * 60 * 60
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["secure"]
    assert "private" in response["Cache-Control"]


def test_shopper_cookie_is_secure_where_the_session_cookie_is(seeded_shop, settings):
    settings.SESSION_COOKIE_SECURE = True

    assert shopper_cookie(Client().get("/"))["secure"] is True


def test_a_browser_keeps_its_shopper_cookie(seeded_shop):
    browser = Client()
    browser.get("/")

    assert shopper_cookie(browser.get("/")) is None
    assert shopper_cookie(browser.get(reverse("cart"))) is None


def test_a_shopper_cookie_of_the_wrong_shape_is_replaced(seeded_shop):
    browser = Client()
    browser.cookies[COOKIE_NAME] = "session:someone-else"

    replaced = shopper_cookie(browser.get("/"))

    assert SHOPPER_ID.match(replaced.value)


def test_cached_pages_stay_cached_and_each_new_browser_gets_its_own_shopper(
    seeded_shop, page_cache_on
):
    Client().get("/")

    with CaptureQueriesContext(connection) as queries:
        first, second = Client().get("/"), Client().get("/")

    assert len(queries) == 0
    assert shopper_cookie(first).value != shopper_cookie(second).value


def test_orders_of_a_session_from_before_the_cookie_stay_with_the_browser(
    client, seeded_shop, stripe_emulator
):
    session = client.session
    session[SHOPPER_SESSION_KEY] = "kept-from-before"
    session.save()
    earlier = make_order(
        owner_key="session:kept-from-before", status=Order.Status.PAID, checkout_open=False
    )
    bank = Product.objects.get(slug="portable-power-bank")
    client.post(reverse("cart_add"), {"product_id": bank.pk, "quantity": 3})
    client.post(reverse("create_checkout_session"))

    page = client.get(reverse("order_list")).content.decode()

    assert earlier.reference in page
    assert Order.objects.filter(owner_key="session:kept-from-before").count() == 2


def test_logging_out_gives_the_browser_a_new_shopper(client, seeded_shop, django_user_model):
    django_user_model.objects.create_user("pat", "pat@example.com", "a-long-password-1")
    client.get("/")
    before = client.cookies[COOKIE_NAME].value
    anonymous = make_order(owner_key=f"session:{before}", status=Order.Status.PAID)
    client.post(reverse("login"), {"username": "pat", "password": "a-long-password-1"})

    logged_out = client.post(reverse("logout"))

    anonymous.refresh_from_db()
    assert anonymous.user.username == "pat"
    assert shopper_cookie(logged_out).value not in ("", before)
    assert anonymous.reference not in client.get(reverse("order_list")).content.decode()
