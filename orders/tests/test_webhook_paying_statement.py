"""Another event for an order paid already is recorded against it without paying it twice, and
an order missing what the session tells still has it filled in."""

import pytest
from django_tasks_db.models import DBTaskResult

from orders.models import Order, OrderEmail, StripeEvent
from orders.tests.factories import make_order, session_object
from orders.tests.helpers import post_webhook
from stripe_emulator import objects

pytestmark = pytest.mark.django_db(transaction=True)


def confirmations(order: Order) -> int:
    return OrderEmail.objects.filter(order=order, reason=OrderEmail.Reason.CONFIRMATION).count()


def test_another_event_for_an_order_paid_already_is_recorded_against_it_and_emails_nothing(
    client,
):
    order = make_order()
    post_webhook(client, objects.event("checkout.session.completed", session_object(order)))
    order.refresh_from_db()
    paid_at = order.paid_at

    response = post_webhook(
        client, objects.event("checkout.session.async_payment_succeeded", session_object(order))
    )

    assert (response.status_code, response.json()["outcome"]) == (200, "processed")
    order.refresh_from_db()
    assert (order.status, order.paid_at) == (Order.Status.PAID, paid_at)
    assert StripeEvent.objects.filter(order=order, outcome="processed").count() == 2
    assert confirmations(order) == 1
    assert DBTaskResult.objects.count() == 1


def test_an_order_paid_without_an_email_address_gets_the_one_a_later_event_tells(client):
    order = make_order(customer_email="")
    first = session_object(order, customer_email="")
    post_webhook(client, objects.event("checkout.session.completed", first))

    response = post_webhook(
        client,
        objects.event(
            "checkout.session.async_payment_succeeded",
            session_object(order, customer_email="late@example.com"),
        ),
    )

    assert (response.status_code, response.json()["outcome"]) == (200, "processed")
    order.refresh_from_db()
    assert (order.status, order.customer_email) == (Order.Status.PAID, "late@example.com")
    assert StripeEvent.objects.filter(order=order, outcome="processed").count() == 2
