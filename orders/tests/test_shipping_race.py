"""Two shop managers shipping the same order at the same moment record one shipment."""

import threading

import pytest
from django.contrib.auth.models import User
from django.db import connections
from django.test import Client

from orders.models import Order, OrderEvent
from orders.tests.helpers import login, staff_member
from orders.tests.shipping import paid_order, ship_url

pytestmark = pytest.mark.django_db(transaction=True)

MANAGERS = 8


def ship_concurrently(order: Order, managers: list[User]) -> list[int]:
    """Each manager posts the ship form from their own thread, all released at once."""
    barrier = threading.Barrier(len(managers))
    statuses = []

    def worker(number, manager):
        try:
            client = login(Client(), manager)
            barrier.wait()
            response = client.post(
                ship_url(order), {"carrier": f"Carrier {number}", "tracking_number": str(number)}
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(number, manager))
        for number, manager in enumerate(managers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def test_managers_shipping_one_order_at_once_record_one_shipment(seeded_shop):
    order = paid_order()
    managers = [staff_member(f"manager{number}", "Shop managers") for number in range(MANAGERS)]

    statuses = ship_concurrently(order, managers)

    assert statuses == [302] * MANAGERS
    [shipment] = OrderEvent.objects.filter(order=order)
    order.refresh_from_db()
    assert order.fulfilment_status == Order.FulfilmentStatus.SHIPPED
    # The shipment recorded is the winner's, whole: carrier and tracking number belong together.
    winner = managers.index(shipment.author)
    assert (order.carrier, order.tracking_number) == (f"Carrier {winner}", str(winner))
