"""The cart says which lines ask for more than is left before the shopper opens the checkout."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from products.models import StockLevel
from products.tests.factories import track_stock

pytestmark = pytest.mark.django_db


def test_the_cart_warns_of_lines_asking_for_more_than_is_left(client, seeded_shop, make_product):
    lamp = track_stock(make_product("Brass Lamp", "40.00"), on_hand=3)
    vase = track_stock(make_product("Glass Vase", "12.00"), on_hand=1)
    mug = make_product("Plain Mug", "8.00")
    for product, quantity in ((lamp, 2), (vase, 1), (mug, 9)):
        client.post(reverse("cart_add"), {"product_id": product.pk, "quantity": quantity})
    StockLevel.objects.filter(product=lamp).update(on_hand=1)
    StockLevel.objects.filter(product=vase).update(on_hand=0)

    html = client.get(reverse("cart")).content.decode()

    assert "Only 1 of Brass Lamp left, and your cart has 2; please lower the quantity." in html
    assert "Glass Vase is sold out; please remove it from your cart." in html
    assert html.count("data-stock-warning") == 2


def test_stock_warnings_cost_no_query_per_line(client, seeded_shop, make_product):
    def cart_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("cart"))
        return len(captured)

    first = track_stock(make_product("Lamp 1", "40.00"), on_hand=5)
    client.post(reverse("cart_add"), {"product_id": first.pk, "quantity": 5})
    cart_queries()  # fills the shop's cached settings
    one_line = cart_queries()
    for number in range(2, 6):
        product = track_stock(make_product(f"Lamp {number}", "40.00"), on_hand=5)
        client.post(reverse("cart_add"), {"product_id": product.pk, "quantity": 5})
    StockLevel.objects.update(on_hand=1)

    assert cart_queries() == one_line
