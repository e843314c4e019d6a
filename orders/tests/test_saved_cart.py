"""A signed-in shopper's cart is kept with the account: the same in every browser they sign in
on, joined with what they added before signing in, and emptied once paid for."""

import threading

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from orders.models import Order, SavedCart
from stripe_emulator.testing import EmulatorControl

PASSWORD = "a-long-password-1"


@pytest.fixture
def pat(django_user_model):
    return django_user_model.objects.create_user("pat", "pat@example.com", PASSWORD)


@pytest.fixture
def lamp(make_product):
    return make_product("Desk Lamp", "25.00")


@pytest.fixture
def kettle(make_product):
    return make_product("Kettle", "30.00")


@pytest.fixture
def mug(make_product):
    return make_product("Mug", "8.00")


def signed_in(client: Client | None = None) -> Client:
    client = client or Client()
    response = client.post(reverse("login"), {"username": "pat", "password": PASSWORD})
    assert response.status_code == 302
    return client


def add(client: Client, product, quantity: int = 1):
    response = client.post(reverse("cart_add"), {"product_id": product.pk, "quantity": quantity})
    assert response.status_code == 302, response.content
    return response


def cart_of(client: Client) -> dict[str, int]:
    """The cart page as the shopper reads it: product name to quantity."""
    page = client.get(reverse("cart"))
    return {line.product.name: line.quantity for line in page.context["lines"]}


def warnings_on(response) -> list[str]:
    return [message.message for message in response.context["messages"]]


@pytest.mark.django_db
class TestAcrossBrowsers:
    def test_a_cart_filled_on_one_browser_is_there_after_signing_in_on_another(
        self, pat, lamp, kettle
    ):
        laptop = signed_in()
        add(laptop, lamp, 2)
        add(laptop, kettle)

        phone = signed_in()

        assert cart_of(phone) == {"Desk Lamp": 2, "Kettle": 1}
        assert phone.get(reverse("order_list")).context["cart_count"] == 3

    def test_what_was_added_before_signing_in_joins_the_accounts_cart(self, pat, lamp, kettle, mug):
        add(signed_in(), lamp, 60)
        phone = Client()
        add(phone, lamp, 50)
        add(phone, mug, 2)

        response = phone.post(
            reverse("login"), {"username": "pat", "password": PASSWORD}, follow=True
        )

        assert cart_of(phone) == {"Desk Lamp": 99, "Mug": 2}
        assert "You can buy at most 99 of Desk Lamp; your cart now has 99." in warnings_on(response)
        assert cart_of(signed_in()) == {"Desk Lamp": 99, "Mug": 2}

    def test_joining_carts_keeps_the_accounts_lines_when_there_are_too_many(
        self, pat, lamp, kettle, mug, settings
    ):
        settings.SHOP_MAX_CART_LINES = 2
        laptop = signed_in()
        add(laptop, lamp)
        add(laptop, kettle)
        phone = Client()
        add(phone, mug)

        response = phone.post(
            reverse("login"), {"username": "pat", "password": PASSWORD}, follow=True
        )

        assert cart_of(phone) == {"Desk Lamp": 1, "Kettle": 1}
        assert (
            "Your cart can hold at most 2 different products; "
            "1 of those added before you signed in were left out."
        ) in warnings_on(response)

    def test_signing_out_leaves_the_browser_empty_and_the_account_keeps_the_cart(self, pat, lamp):
        laptop = signed_in()
        add(laptop, lamp, 3)

        laptop.post(reverse("logout"))

        assert cart_of(laptop) == {}
        assert laptop.get(reverse("order_list")).context["cart_count"] == 0
        assert cart_of(signed_in(laptop)) == {"Desk Lamp": 3}

    def test_a_product_taken_off_sale_meanwhile_leaves_the_cart_with_the_usual_notice(
        self, pat, lamp, kettle
    ):
        laptop = signed_in()
        add(laptop, lamp)
        add(laptop, kettle)
        kettle.unpublish()

        phone = signed_in()
        page = phone.get(reverse("cart"))

        assert [line.product.name for line in page.context["lines"]] == ["Desk Lamp"]
        assert "Kettle is no longer on sale and was removed from your cart." in warnings_on(page)
        assert cart_of(laptop) == {"Desk Lamp": 1}

    def test_a_product_taken_off_sale_before_signing_in_is_dropped_with_the_usual_notice(
        self, pat, lamp, kettle
    ):
        phone = Client()
        add(phone, lamp)
        add(phone, kettle)
        kettle.unpublish()

        response = phone.post(
            reverse("login"), {"username": "pat", "password": PASSWORD}, follow=True
        )

        assert "Kettle is no longer on sale and was removed from your cart." in warnings_on(
            response
        )
        assert SavedCart.objects.get(user=pat).lines == [[lamp.pk, 1]]


@pytest.mark.django_db
def test_paying_empties_the_cart_in_every_browser_signed_in(pat, lamp, stripe_emulator):
    laptop = signed_in()
    add(laptop, lamp, 2)
    phone = signed_in()
    phone.post(reverse("create_checkout_session"))
    order = Order.objects.get()
    EmulatorControl(stripe_emulator.base_url).complete_session(
        order.stripe_checkout_session_id, "paid"
    )

    success = phone.get(
        reverse("checkout_success"), {"session_id": order.stripe_checkout_session_id}
    )

    assert success.status_code == 200 and success.context["order"].status == Order.Status.PAID
    assert cart_of(phone) == {}
    assert cart_of(laptop) == {}
    assert laptop.get(reverse("order_list")).context["cart_count"] == 0
    assert cart_of(signed_in()) == {}


@pytest.mark.django_db
def test_a_line_added_in_another_browser_after_checkout_began_survives_the_payment(
    pat, lamp, kettle, stripe_emulator
):
    laptop = signed_in()
    add(laptop, lamp)
    phone = signed_in()
    phone.post(reverse("create_checkout_session"))
    order = Order.objects.get()
    add(laptop, kettle)
    EmulatorControl(stripe_emulator.base_url).complete_session(
        order.stripe_checkout_session_id, "paid"
    )

    phone.get(reverse("checkout_success"), {"session_id": order.stripe_checkout_session_id})

    assert cart_of(phone) == {"Desk Lamp": 1, "Kettle": 1}


LINES_PER_TAB = 8


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_browser", [True, False], ids=["two tabs", "two devices"])
def test_adding_in_two_places_at_once_loses_no_line(pat, make_product, same_browser):
    products = [make_product(f"Part {index}", "2.00") for index in range(2 * LINES_PER_TAB)]
    first = signed_in()
    second = Client()
    if same_browser:
        second.cookies = first.cookies
    else:
        signed_in(second)
    start = threading.Barrier(2)
    errors = []

    def shop(client, share):
        try:
            start.wait()
            for product in share:
                add(client, product)
        except Exception as error:
            # A thread's exception would otherwise vanish; the test asserts there were none.
            errors.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=shop, args=(first, products[:LINES_PER_TAB])),
        threading.Thread(target=shop, args=(second, products[LINES_PER_TAB:])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    expected = {product.name: 1 for product in products}
    assert cart_of(first) == expected
    assert cart_of(second) == expected
