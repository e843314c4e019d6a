"""The statements a first checkout sends are pinned: the order, its items and its stock hold are
written in one transaction without savepoints, and the cart is read in one query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order
from orders.tests.helpers import add_to_cart, check_out
from products.tests.factories import stock_of, track_stock

pytestmark = pytest.mark.django_db(transaction=True)

# Session, cart, the shopper's open checkout and unsettled paid orders in one statement; the order
# with its items in one statement, committed on its own; checkout settings; the session's id
# stored on the order.
FIRST_CHECKOUT = 6
# The hold is one conditional UPDATE more, in a transaction with the order: BEGIN and COMMIT.
FIRST_CHECKOUT_HOLDING_STOCK = FIRST_CHECKOUT + 3


def checkout_statements(client) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = check_out(client)
    assert response.status_code == 303
    return [query["sql"] for query in captured.captured_queries]


def test_a_first_checkout_of_untracked_goods_writes_without_savepoints(client, shop):
    add_to_cart(client, shop["portable-power-bank"])

    statements = checkout_statements(client)

    assert not [sql for sql in statements if "SAVEPOINT" in sql]
    assert len(statements) == FIRST_CHECKOUT
    assert Order.objects.get().stock_hold == Order.StockHold.NONE


def test_a_first_checkout_holding_stock_writes_without_savepoints(client, shop, make_product):
    lamp = track_stock(make_product("Desk Lamp", "25.00"), on_hand=3)
    add_to_cart(client, lamp, 2)

    statements = checkout_statements(client)

    assert not [sql for sql in statements if "SAVEPOINT" in sql]
    assert len(statements) == FIRST_CHECKOUT_HOLDING_STOCK
    assert Order.objects.get().stock_hold == Order.StockHold.HELD
    assert stock_of(lamp) == (3, 2)
