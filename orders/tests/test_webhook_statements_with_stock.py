"""What paying an order whose stock is tracked costs the database, pinned in statements: the
paying delivery's two, the held units sold inside the statement that pays the order.

Counted as in test_webhook_statements: before the commit (all of them when each commits on its
own), transaction control left out.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order, OrderItem
from orders.tests.factories import make_order, session_object
from orders.tests.helpers import post_webhook
from products.models import StockLevel
from products.tests.factories import stock_of, track_stock
from stripe_emulator import objects

pytestmark = pytest.mark.django_db(transaction=True)

FIRST_DELIVERY_PAYING_AN_ORDER_WITH_HELD_STOCK = 1
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")


def test_paying_an_order_with_held_stock_sells_it_in_the_paying_statement(client, make_product):
    lantern = track_stock(make_product("Storm Lantern", "30.00"), on_hand=5)
    order = make_order(total="60.00", product=lantern, stock_hold=Order.StockHold.HELD)
    level = StockLevel.objects.get(product=lantern)
    OrderItem.objects.filter(order=order).update(stock_level=level, quantity=2)
    StockLevel.objects.filter(pk=level.pk).update(held=2)
    event = objects.event("checkout.session.completed", session_object(order))

    with CaptureQueriesContext(connection) as captured:
        response = post_webhook(client, event)

    assert response.status_code == 200, response.content
    sent = [query["sql"] for query in captured.captured_queries]
    before_commit = sent[: sent.index("COMMIT")] if "COMMIT" in sent else sent
    statements = [sql for sql in before_commit if not sql.startswith(TRANSACTION_CONTROL)]
    # One statement locks the order and marks it paid (reading what it held), sells the held
    # units, writes and queues the confirmation and records the event.
    assert len(statements) == FIRST_DELIVERY_PAYING_AN_ORDER_WITH_HELD_STOCK, statements
    order.refresh_from_db()
    assert (order.status, order.stock_hold) == (Order.Status.PAID, Order.StockHold.SOLD)
    assert stock_of(lantern) == (3, 0)
