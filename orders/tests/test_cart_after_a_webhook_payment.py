"""A payment only Stripe's webhook saw (the shopper closed the tab on Stripe's page) empties the
cart of what it bought on the shopper's next visit, so a cart still full never leads them to pay
twice; a cart changed since, or filled again later, is kept."""

import pytest
from django.test import Client
from django.urls import reverse

from orders import saved_carts
from orders.models import Order
from orders.tests.helpers import add_to_cart, check_out, session_at_stripe

pytestmark = pytest.mark.django_db

PAID_NOTICE = "We received your payment for order"


@pytest.fixture
def paid_by_webhook(client, control, deliver, stripe_emulator):
    """Pay the shopper's open order on Stripe's page, seen by the webhook only."""

    def pay(outcome="paid") -> Order:
        order = Order.objects.get(checkout_open=True)
        control.complete_session(order.stripe_checkout_session_id, outcome)
        deliver(client, "checkout.session.completed", session_at_stripe(stripe_emulator, order))
        order.refresh_from_db()
        return order

    return pay


def cart_page(client):
    return client.get(reverse("cart"))


def test_the_next_cart_visit_finds_the_cart_emptied_and_says_why(client, shop, paid_by_webhook):
    add_to_cart(client, shop["portable-power-bank"], 2)
    check_out(client)
    order = paid_by_webhook()
    assert order.status == Order.Status.PAID

    page = cart_page(client)

    assert f"{PAID_NOTICE} {order.reference}" in page.content.decode()
    assert client.session["cart"] == {}
    order.refresh_from_db()
    assert order.cart_settled


def test_checking_out_the_paid_cart_again_charges_nothing_and_says_why(
    client, shop, paid_by_webhook
):
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    order = paid_by_webhook()

    again = check_out(client)

    assert again.status_code == 400
    assert f"{PAID_NOTICE} {order.reference}" in again.content.decode()
    assert Order.objects.count() == 1


def test_a_payment_still_processing_empties_the_cart_as_the_success_page_does(
    client, shop, paid_by_webhook
):
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    order = paid_by_webhook("async_pending")
    assert order.is_payment_processing

    cart_page(client)

    assert client.session["cart"] == {}


def test_a_cart_changed_after_checkout_is_kept_whole(client, shop, paid_by_webhook):
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    add_to_cart(client, shop["smart-fitness-watch"])
    paid_by_webhook()

    page = cart_page(client)

    assert PAID_NOTICE not in page.content.decode()
    assert sum(client.session["cart"].values()) == 2


def test_the_same_things_added_again_after_the_cart_was_emptied_stay(client, shop, paid_by_webhook):
    bank = shop["portable-power-bank"]
    add_to_cart(client, bank)
    check_out(client)
    paid_by_webhook()
    cart_page(client)

    add_to_cart(client, bank)
    page = cart_page(client)

    assert PAID_NOTICE not in page.content.decode()
    assert sum(client.session["cart"].values()) == 1


def test_a_cart_is_kept_while_its_checkout_is_unpaid(client, shop):
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)

    page = cart_page(client)

    assert PAID_NOTICE not in page.content.decode()
    assert sum(client.session["cart"].values()) == 1
    assert not Order.objects.get().cart_settled


def test_coming_back_to_the_success_page_settles_the_cart_once(client, shop, control, paying):
    bank = shop["portable-power-bank"]
    add_to_cart(client, bank)
    check_out(client)
    order = Order.objects.get()
    control.complete_session(order.stripe_checkout_session_id, "paid")
    paying(client, order.stripe_checkout_session_id)

    add_to_cart(client, bank)
    page = cart_page(client)

    order.refresh_from_db()
    assert order.cart_settled
    assert PAID_NOTICE not in page.content.decode()
    assert sum(client.session["cart"].values()) == 1


def test_a_signed_in_shoppers_account_cart_is_emptied_on_any_device(
    client, shop, paid_by_webhook, django_user_model
):
    shopper = django_user_model.objects.create_user("pat", "pat@example.com", "pw")
    client.force_login(shopper)
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    order = paid_by_webhook()
    phone = Client()
    phone.force_login(shopper)

    page = cart_page(phone)

    assert f"{PAID_NOTICE} {order.reference}" in page.content.decode()
    assert saved_carts.quantities_of(shopper) == {}
