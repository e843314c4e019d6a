"""The cart: plain forms, redirect after POST, whole quantities, live products only."""

import pytest
from django.urls import reverse

from orders.cart import SESSION_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def headphones(seeded_shop):
    from products.models import Product

    return Product.objects.get(slug="wireless-bluetooth-headphones")


def add(client, product_id, quantity="1", **extra):
    return client.post(
        reverse("cart_add"), {"product_id": product_id, "quantity": quantity}, **extra
    )


def cart_of(client) -> dict:
    return dict(client.session.get(SESSION_KEY, {}))


def test_adding_redirects_to_the_cart_which_shows_line_and_total(client, headphones):
    response = add(client, headphones.pk, "2")

    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Wireless Bluetooth Headphones was added to your cart." in page
    assert "$199.98" in page
    assert 'aria-label="2 items in cart"' in page


def test_adding_twice_adds_up(client, headphones):
    add(client, headphones.pk, "2")
    add(client, headphones.pk, "3")

    assert cart_of(client) == {str(headphones.pk): 5}


@pytest.mark.parametrize("quantity", ["0", "-1", "100", "1.5", "abc", "", "1e3", "٣", "9" * 40])
def test_bad_quantities_are_refused_and_change_nothing(client, headphones, quantity):
    add(client, headphones.pk, "1")

    response = add(client, headphones.pk, quantity)

    assert response.status_code == 400
    assert "Please choose a quantity from 1 to 99." in response.content.decode()
    assert cart_of(client) == {str(headphones.pk): 1}


def test_going_over_the_line_limit_is_refused(client, headphones):
    add(client, headphones.pk, "98")

    response = add(client, headphones.pk, "2")

    assert response.status_code == 400
    page = response.content.decode()

    assert "You can buy at most 99 of Wireless Bluetooth Headphones" in page
    assert cart_of(client) == {str(headphones.pk): 98}


@pytest.mark.parametrize("product_id", ["999999", "abc", "", "-3", "1 OR 1=1"])
def test_unknown_products_are_refused(client, seeded_shop, product_id):
    response = add(client, product_id)

    assert response.status_code == 400
    page = response.content.decode()

    assert "could not be found" in page or "not on sale" in page
    assert cart_of(client) == {}


def test_draft_product_cannot_be_added(client, make_product):
    draft = make_product(name="Secret Gadget", price="10.00", live=False)

    response = add(client, draft.pk)

    assert response.status_code == 400
    page = response.content.decode()

    assert "That product is not on sale any more." in page
    assert cart_of(client) == {}


def test_cart_drops_a_product_unpublished_after_it_was_added(client, headphones):
    add(client, headphones.pk, "1")
    headphones.unpublish()

    page = client.get(reverse("cart")).content.decode()

    assert "Wireless Bluetooth Headphones is no longer on sale and was removed" in page
    assert "Your cart is empty." in page
    assert cart_of(client) == {}


def expire_without_unpublishing(product) -> None:
    """Past its expiry, as a product is until the scheduler's next minute unpublishes it."""
    from datetime import timedelta

    from django.utils import timezone

    type(product).objects.filter(pk=product.pk).update(
        expire_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_product_past_its_expiry_cannot_be_added_before_it_is_unpublished(client, headphones):
    expire_without_unpublishing(headphones)

    response = add(client, headphones.pk)

    assert response.status_code == 400
    assert "That product is not on sale any more." in response.content.decode()
    assert cart_of(client) == {}


def test_cart_drops_a_product_past_its_expiry_before_it_is_unpublished(client, headphones):
    add(client, headphones.pk, "1")
    expire_without_unpublishing(headphones)

    page = client.get(reverse("cart")).content.decode()

    assert "Wireless Bluetooth Headphones is no longer on sale and was removed" in page
    assert cart_of(client) == {}


def test_cart_shows_the_current_price_not_the_price_when_added(client, headphones):
    add(client, headphones.pk, "1")
    headphones.price = "79.00"
    headphones.save_revision().publish()

    assert "$79.00" in client.get(reverse("cart")).content.decode()


def test_update_remove_and_clear(client, headphones, make_product):
    cable = make_product(name="Cable", price="5.00")
    add(client, headphones.pk)
    add(client, cable.pk)

    client.post(reverse("cart_update"), {"product_id": cable.pk, "quantity": "4"})
    assert cart_of(client) == {str(headphones.pk): 1, str(cable.pk): 4}
    client.post(reverse("cart_remove"), {"product_id": headphones.pk})
    assert cart_of(client) == {str(cable.pk): 4}
    client.post(reverse("cart_clear"))
    assert cart_of(client) == {}


def test_cart_is_limited_to_one_hundred_lines(client, settings, make_product, seeded_shop):
    settings.SHOP_MAX_CART_LINES = 3
    products = [make_product(name=f"Thing {i}", price="1.00") for i in range(4)]
    for product in products[:3]:
        add(client, product.pk)

    response = add(client, products[3].pk)

    assert response.status_code == 400
    page = response.content.decode()

    assert "Your cart can hold at most 3 different products." in page
    assert len(cart_of(client)) == 3


def test_cart_changes_need_csrf(headphones):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert add(strict, headphones.pk).status_code == 403


def test_get_on_a_cart_action_is_refused(client, headphones):
    assert client.get(reverse("cart_add")).status_code == 405


def test_json_add_answers_with_the_new_count(client, headphones):
    response = add(client, headphones.pk, "2", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "message": "Wireless Bluetooth Headphones was added to your cart.",
    }
