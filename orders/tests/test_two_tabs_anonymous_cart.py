"""An anonymous shopper's cart, kept in the session, loses no line when two tabs change it at
once: each change is applied to the cart as stored at that moment."""

import threading

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from orders.cart import SESSION_KEY

pytestmark = pytest.mark.django_db(transaction=True)

LINES_PER_TAB = 8


def add(client, product, quantity=1):
    response = client.post(reverse("cart_add"), {"product_id": product.pk, "quantity": quantity})
    assert response.status_code == 302


def in_parallel(*work) -> list[Exception]:
    start = threading.Barrier(len(work))
    errors = []

    def run(task):
        try:
            start.wait()
            task()
        except Exception as error:
            # A thread's exception would otherwise vanish; the test asserts there were none.
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(task,)) for task in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def cart_of(client) -> dict[str, int]:
    return dict(client.session.get(SESSION_KEY, {}))


def two_tabs(seeded_shop, make_product) -> tuple[Client, Client]:
    first = Client()
    first.get(reverse("cart"))
    add(first, make_product("Starter", "1.00"))
    second = Client()
    second.cookies = first.cookies
    return first, second


def test_two_tabs_adding_different_products_at_once_keep_every_line(seeded_shop, make_product):
    products = [make_product(f"Part {index}", "2.00") for index in range(2 * LINES_PER_TAB)]
    first, second = two_tabs(seeded_shop, make_product)

    errors = in_parallel(
        lambda: [add(first, product) for product in products[:LINES_PER_TAB]],
        lambda: [add(second, product) for product in products[LINES_PER_TAB:]],
    )

    assert errors == []
    cart = cart_of(first)
    assert len(cart) == 1 + 2 * LINES_PER_TAB
    assert {str(product.pk) for product in products} <= set(cart)


def test_two_tabs_adding_the_same_product_at_once_count_both(seeded_shop, make_product):
    lamp = make_product("Desk Lamp", "25.00")
    first, second = two_tabs(seeded_shop, make_product)

    errors = in_parallel(
        lambda: [add(first, lamp) for _ in range(LINES_PER_TAB)],
        lambda: [add(second, lamp) for _ in range(LINES_PER_TAB)],
    )

    assert errors == []
    assert cart_of(first)[str(lamp.pk)] == 2 * LINES_PER_TAB
