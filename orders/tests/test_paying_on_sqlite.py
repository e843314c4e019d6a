"""Local runs use SQLite: paying an order there takes the portable path, with the same result."""

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from orders import payments, stripe_gateway
from orders.models import Order, OrderEmail
from orders.tests.factories import make_order, session_object
from stripe_emulator import objects

pytestmark = pytest.mark.django_db


def test_a_paid_session_pays_its_order_once_and_queues_one_confirmation(monkeypatch):
    order = make_order()
    session = stripe_gateway.session_from_event(
        objects.event("checkout.session.completed", session_object(order))
    )
    monkeypatch.setattr(connection, "vendor", "sqlite")

    payments.apply_checkout_session(session)
    payments.apply_checkout_session(session)

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.paid_at is not None
    assert order.charged_total == session.amount_total
    assert not order.checkout_open
    assert (
        OrderEmail.objects.filter(order=order, reason=OrderEmail.Reason.CONFIRMATION).count() == 1
    )
    assert DBTaskResult.objects.count() == 1
