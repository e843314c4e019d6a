"""A shopper's orders page, and what signing in, out and up does to their orders and cart."""

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import Order
from orders.tests.helpers import add_to_cart, cart_quantities, check_out

pytestmark = pytest.mark.django_db

Status = Order.Status


def test_orders_page_lists_the_visitors_orders_newest_first(client, shop, control, paying):
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    first = Order.objects.get()
    control.complete_session(first.stripe_checkout_session_id, "paid")
    paying(client, first.stripe_checkout_session_id)
    add_to_cart(client, shop["smart-fitness-watch"])
    check_out(client)
    second = Order.objects.exclude(pk=first.pk).get()

    page = client.get(reverse("order_list")).content.decode()
    home = client.get("/").content.decode()

    assert page.index(second.reference) < page.index(first.reference)
    assert "Paid" in page and "Pending" in page
    assert first.reference in home and second.reference in home
    assert first.reference not in Client().get(reverse("order_list")).content.decode()
    assert client.get(first.get_absolute_url()).status_code == 200
    assert Client().get(first.get_absolute_url()).status_code == 404


def test_logging_in_keeps_the_cart_and_claims_anonymous_orders(client, shop, django_user_model):
    django_user_model.objects.create_user("pat", "pat@example.com", "a-long-password-1")
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    order = Order.objects.get()

    client.post(reverse("login"), {"username": "pat", "password": "a-long-password-1"})

    order.refresh_from_db()
    assert order.user.username == "pat"
    assert cart_quantities(client) == {shop["portable-power-bank"].pk: 1}
    assert order.reference in client.get(reverse("order_list")).content.decode()


def test_logging_out_does_not_leak_orders_to_the_next_person(client, shop, django_user_model):
    django_user_model.objects.create_user("pat", "pat@example.com", "a-long-password-1")
    client.post(reverse("login"), {"username": "pat", "password": "a-long-password-1"})
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    order = Order.objects.get()

    client.post(reverse("logout"))

    assert order.reference not in client.get(reverse("order_list")).content.decode()
    assert client.get(order.get_absolute_url()).status_code == 404
    assert client.session.get("cart") is None


def open_sessions(sdk) -> list[str]:
    return [session.id for session in sdk.v1.checkout.sessions.list({"status": "open"}).data]


@pytest.fixture
def account_with_an_open_checkout(shop, django_user_model):
    """Pat started a checkout while signed in on another device and left it open."""
    django_user_model.objects.create_user("pat", "pat@example.com", "a-long-password-1")
    elsewhere = Client()
    elsewhere.post(reverse("login"), {"username": "pat", "password": "a-long-password-1"})
    add_to_cart(elsewhere, shop["smart-fitness-watch"])
    check_out(elsewhere)
    return Order.objects.get()


def test_signing_in_with_an_open_checkout_on_each_side_keeps_only_the_newer_one_payable(
    client, shop, sdk, account_with_an_open_checkout
):
    older = account_with_an_open_checkout
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    newer = Order.objects.exclude(pk=older.pk).get()

    client.post(reverse("login"), {"username": "pat", "password": "a-long-password-1"})

    older.refresh_from_db()
    newer.refresh_from_db()
    page = client.get(reverse("order_list")).content.decode()
    assert older.status == Status.CANCELLED
    assert newer.status == Status.PENDING and newer.checkout_open
    assert open_sessions(sdk) == [newer.stripe_checkout_session_id]
    assert older.reference not in page and newer.reference in page
    assert "Payment processing" not in page
    # The account's cart joined the browser's; taking its line out again gives the same cart.
    assert cart_quantities(client) == {
        shop["smart-fitness-watch"].pk: 1,
        shop["portable-power-bank"].pk: 1,
    }
    client.post(reverse("cart_remove"), {"product_id": shop["smart-fitness-watch"].pk})
    assert check_out(client).url == newer.stripe_checkout_url


def test_signing_in_while_stripe_is_down_still_shows_no_false_status(
    client, shop, settings, account_with_an_open_checkout
):
    older = account_with_an_open_checkout
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    response = client.post(
        reverse("login"), {"username": "pat", "password": "a-long-password-1"}, follow=True
    )

    older.refresh_from_db()
    newer = Order.objects.exclude(pk=older.pk).get()
    assert response.status_code == 200
    assert older.status == Status.CANCELLED
    assert newer.user.username == "pat" and newer.checkout_open
    assert "Payment processing" not in response.content.decode()


def test_signing_up_claims_the_browsers_orders(client, shop):
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)

    client.post(
        reverse("signup"),
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password1": "a-long-password-1",
            "password2": "a-long-password-1",
        },
    )

    assert Order.objects.get().user.username == "newbie"
