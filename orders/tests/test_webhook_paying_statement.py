"""A first delivery paying an order is applied and recorded by one statement: all of it or,
when anything in it fails, nothing; an order paid already is found as it is, and one missing
what the session tells still has it filled in."""

from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client
from django_tasks_db.models import DBTaskResult

from orders.models import Order, OrderEmail, StripeEvent
from orders.tests.factories import make_order, session_object
from orders.tests.helpers import post_webhook
from stripe_emulator import objects

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def outbox_refusing_writes():
    """The outbox refuses every new email, from inside the statement writing it."""
    table = connection.ops.quote_name(OrderEmail._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_email() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'The outbox is full.'; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER refuse_email BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_email()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER refuse_email ON {table}")
            cursor.execute("DROP FUNCTION refuse_email()")


def confirmations(order: Order) -> int:
    return OrderEmail.objects.filter(order=order, reason=OrderEmail.Reason.CONFIRMATION).count()


def test_a_payment_failing_halfway_leaves_nothing_and_is_applied_when_delivered_again():
    order = make_order()
    event = objects.event("checkout.session.completed", session_object(order))

    with outbox_refusing_writes():
        failed = post_webhook(Client(raise_request_exception=False), event)

    assert failed.status_code == 500
    order.refresh_from_db()
    assert (order.status, order.checkout_open, order.paid_at) == (Order.Status.PENDING, True, None)
    assert not StripeEvent.objects.exists()
    assert not DBTaskResult.objects.exists()

    redelivered = post_webhook(Client(), event)

    assert (redelivered.status_code, redelivered.json()["outcome"]) == (200, "processed")
    order.refresh_from_db()
    assert (order.status, order.checkout_open) == (Order.Status.PAID, False)
    record = StripeEvent.objects.get(stripe_event_id=event["id"])
    assert (record.order, record.outcome, record.delivery_count) == (order, "processed", 1)
    assert confirmations(order) == 1
    assert DBTaskResult.objects.count() == 1


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
