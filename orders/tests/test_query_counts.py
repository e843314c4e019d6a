"""SQL queries per request are pinned: they must not grow with products, cart lines or orders."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import Site

from orders.cart import SESSION_KEY
from orders.models import CheckoutSettings, Order
from orders.shoppers import SHOPPER_SESSION_KEY
from orders.tests.factories import make_order, session_object
from orders.tests.helpers import post_webhook
from products.models import Product
from shop.models import ShopSettings
from stripe_emulator import objects
from stripe_emulator.testing import EmulatorControl

pytestmark = pytest.mark.django_db

# The second page a browser opens: its shopper cookie is known, so its recent orders are looked up.
HOME_FOR_NEW_VISITOR = 7
HOME_FOR_RETURNING_SHOPPER = 10
# Includes looking for paid orders whose items the cart may still hold.
CART_PAGE = 5
# An anonymous cart changes under a lock on its session: the lock, the session as stored now and
# its save, in a transaction of their own (savepoints here, inside the test's transaction).
ADD_TO_CART = 9
ORDER_LIST = 5
# One statement paying the order (writing its confirmation to the outbox and queueing the task
# sending it) or finding it paid, and recording the event.
WEBHOOK_PAYING_AN_ORDER = 1
WEBHOOK_FOR_A_PAID_ORDER = 1
# The success page asks Stripe about an order not yet settled, and only reads a settled one;
# recording the payment also empties the cart as ADD_TO_CART changes it, and marks it settled.
SUCCESS_PAGE_BEFORE_PAYMENT = 7
SUCCESS_PAGE_RECORDING_THE_PAYMENT = 17
SUCCESS_PAGE_OF_A_PAID_ORDER = 5


def queries(send) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = send()
    assert response.status_code < 400, response.status_code
    return len(captured)


@pytest.fixture(autouse=True)
def shop_settings_in_the_cache(db, settings_kept_in_cache):
    """A running shop keeps its settings in the cache; the first page after a miss pays a query."""
    site = Site.objects.get(is_default_site=True)
    ShopSettings.cached_for_site(site)
    CheckoutSettings.cached_for_site(site)


@pytest.fixture
def returning_shopper(client, seeded_shop):
    session = client.session
    session[SHOPPER_SESSION_KEY] = "regular"
    session.save()

    def place_orders(count):
        for _ in range(count):
            make_order(owner_key="session:regular", status=Order.Status.PAID, checkout_open=False)

    return place_orders


def test_home_page_for_a_new_visitor(client, seeded_shop, make_product):
    client.get("/")
    assert queries(lambda: client.get("/")) == HOME_FOR_NEW_VISITOR
    for index in range(30):
        make_product(name=f"Gadget {index}", price="3.00")
    assert queries(lambda: client.get("/")) == HOME_FOR_NEW_VISITOR


def test_home_page_for_a_shopper_with_many_orders(client, returning_shopper):
    returning_shopper(1)
    assert queries(lambda: client.get("/")) == HOME_FOR_RETURNING_SHOPPER
    returning_shopper(49)
    assert queries(lambda: client.get("/")) == HOME_FOR_RETURNING_SHOPPER


def test_order_list_with_fifty_orders(client, returning_shopper):
    returning_shopper(1)
    assert queries(lambda: client.get(reverse("order_list"))) == ORDER_LIST
    returning_shopper(49)
    assert queries(lambda: client.get(reverse("order_list"))) == ORDER_LIST


def test_cart_page_with_many_lines(client, seeded_shop, make_product):
    products = [make_product(name=f"Part {index}", price="2.00") for index in range(20)]
    # A browser known by its shopper cookie, as any browser with a cart is.
    client.get(reverse("cart"))
    session = client.session
    session[SESSION_KEY] = {str(products[0].pk): 1}
    session.save()
    assert queries(lambda: client.get(reverse("cart"))) == CART_PAGE
    session[SESSION_KEY] = {str(product.pk): 2 for product in products}
    session.save()
    assert queries(lambda: client.get(reverse("cart"))) == CART_PAGE


def test_adding_to_the_cart(client, seeded_shop, make_product):
    product = make_product(name="Widget", price="2.00")
    client.post(reverse("cart_add"), {"product_id": product.pk, "quantity": 1})
    send = lambda: client.post(reverse("cart_add"), {"product_id": product.pk, "quantity": 1})  # noqa: E731
    assert queries(send) == ADD_TO_CART


def test_verified_webhook_delivery(client):
    paid = session_object(make_order())

    def deliver():
        return post_webhook(client, objects.event("checkout.session.completed", paid))

    assert queries(deliver) == WEBHOOK_PAYING_AN_ORDER
    assert queries(deliver) == WEBHOOK_FOR_A_PAID_ORDER


def test_success_page(client, seeded_shop, stripe_emulator):
    client.post(reverse("cart_add"), {"product_id": Product.objects.first().pk, "quantity": 1})
    client.post(reverse("create_checkout_session"))
    session_id = Order.objects.get().stripe_checkout_session_id

    def visit():
        return client.get(reverse("checkout_success"), {"session_id": session_id})

    assert queries(visit) == SUCCESS_PAGE_BEFORE_PAYMENT
    EmulatorControl(stripe_emulator.base_url).complete_session(session_id, "paid")
    assert queries(visit) == SUCCESS_PAGE_RECORDING_THE_PAYMENT
    assert queries(visit) == SUCCESS_PAGE_OF_A_PAID_ORDER
