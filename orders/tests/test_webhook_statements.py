"""What a webhook delivery costs the database, pinned in statements.

Counted: the statements a delivery sends before its transaction commits (all of them when it
sends only statements committed on their own), leaving out transaction control (BEGIN, COMMIT,
SAVEPOINT, RELEASE SAVEPOINT, ROLLBACK TO SAVEPOINT). The confirmation email of a payment is
written and queued in the same transaction; sending it is the worker's work.
"""

import logging
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks.signals import task_enqueued
from django_tasks_db.models import DBTaskResult

from orders import payments
from orders.models import Order, StripeEvent
from orders.stripe_gateway import CheckoutSession
from orders.tests.factories import make_order, session_object
from orders.tests.helpers import post_webhook
from stripe_emulator import objects

pytestmark = pytest.mark.django_db(transaction=True)

REPEATED_EVENT = 1
FIRST_DELIVERY_PAYING_AN_ORDER = 1
# Signed long after the event happened, as Stripe's retries are: looked for among those
# recorded first.
LATE_DELIVERY_PAYING_AN_ORDER = 2
AN_HOUR = 60 * 60
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")


def deliver_counting(client, event: dict) -> tuple[list[str], int]:
    """The statements a delivery sends before it commits, and how many commits it makes."""
    with CaptureQueriesContext(connection) as captured:
        response = post_webhook(client, event)
    assert response.status_code == 200, response.content
    sent = [query["sql"] for query in captured.captured_queries]
    commits = sent.count("COMMIT")
    before_commit = sent[: sent.index("COMMIT")] if commits else sent
    return [sql for sql in before_commit if not sql.startswith(TRANSACTION_CONTROL)], commits


def prepared_text(statement: str) -> str:
    """The SQL of the prepared statement that `statement` runs: EXECUTE name (...), or the
    connection's first use of it, PREPARE name AS ...; EXECUTE name (...)."""
    if statement.startswith("PREPARE "):
        return statement.split(" AS ", 1)[1]
    name = statement.removeprefix("EXECUTE ").split(" ", 1)[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name = %s", [name])
        return cursor.fetchone()[0]


def test_a_repeat_sent_after_a_back_off_is_acknowledged_by_counting_it(client):
    order = make_order()
    event = objects.event(
        "checkout.session.completed", session_object(order), created=int(time.time()) - AN_HOUR
    )
    post_webhook(client, event)

    statements, commits = deliver_counting(client, event)

    assert len(statements) == REPEATED_EVENT, statements
    assert "SET delivery_count = delivery_count + 1" in prepared_text(statements[0])
    assert commits == 0
    record = StripeEvent.objects.get(stripe_event_id=event["id"])
    assert record.delivery_count == 2
    assert record.outcome == StripeEvent.Outcome.PROCESSED


def test_a_repeat_sent_at_once_is_acknowledged_by_the_paying_statement_paying_nothing(client):
    order = make_order()
    event = objects.event("checkout.session.completed", session_object(order))
    post_webhook(client, event)
    paid_at = Order.objects.get(pk=order.pk).paid_at

    statements, commits = deliver_counting(client, event)

    assert len(statements) == REPEATED_EVENT, statements
    assert "WITH payable AS" in prepared_text(statements[0])
    assert commits == 0
    record = StripeEvent.objects.get(stripe_event_id=event["id"])
    assert (record.delivery_count, record.outcome) == (2, StripeEvent.Outcome.PROCESSED)
    assert Order.objects.get(pk=order.pk).paid_at == paid_at
    assert DBTaskResult.objects.count() == 1


def test_a_first_delivery_pays_an_order_in_one_statement_committed_on_its_own(client):
    order = make_order()
    event = objects.event("checkout.session.completed", session_object(order))

    statements, commits = deliver_counting(client, event)

    # It locks the order and marks it paid, writes the confirmation to the outbox and queues
    # the task sending it, and records the event with its outcome.
    assert len(statements) == FIRST_DELIVERY_PAYING_AN_ORDER, statements
    assert commits == 0
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    record = StripeEvent.objects.get(stripe_event_id=event["id"])
    assert (record.order, record.outcome) == (order, StripeEvent.Outcome.PROCESSED)


# An hour old, as a retry is; or a creation time the shop cannot read, which proves nothing.
@pytest.mark.parametrize(
    "created",
    [lambda: int(time.time()) - AN_HOUR, lambda: None, lambda: str(int(time.time()))],
    ids=["an-hour-old", "missing", "text"],
)
def test_a_delivery_not_signed_as_it_happened_is_looked_for_before_it_pays(client, created):
    order = make_order()
    event = objects.event("checkout.session.completed", session_object(order))
    event["created"] = created()

    statements, commits = deliver_counting(client, event)

    assert len(statements) == LATE_DELIVERY_PAYING_AN_ORDER, statements
    assert "SET delivery_count = delivery_count + 1" in prepared_text(statements[0])
    assert commits == 0
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_the_paying_statement_is_written_once_for_each_shape_of_session():
    """Its text names the prepared statement: sessions of one shape get the very string built
    for the first, and a session telling other things gets its own."""

    def text(order: Order, **fields) -> str:
        session = CheckoutSession.from_stripe(session_object(order, **fields), "")
        return payments.paid_session_ctes(session)[0]

    first = make_order(owner_key="session:first")
    second = make_order(owner_key="session:second")
    without_email = make_order(owner_key="session:third", customer_email="")

    assert text(first) is text(second)
    assert text(without_email, customer_email="") != text(first)


def test_the_confirmation_queued_by_the_paying_statement_is_announced_as_its_row_reads(client):
    announced = []

    def listen(sender, task_result, **kwargs):
        announced.append(task_result)

    task_enqueued.connect(listen)
    try:
        order = make_order()
        post_webhook(client, objects.event("checkout.session.completed", session_object(order)))
    finally:
        task_enqueued.disconnect(listen)

    assert announced == [DBTaskResult.objects.get().task_result]


def test_a_first_delivery_paying_an_order_logs_one_line_naming_the_order_and_the_event(
    client, caplog
):
    order = make_order()
    event = objects.event("checkout.session.completed", session_object(order))
    caplog.set_level(logging.INFO, logger="orders")
    before = timezone.now()

    post_webhook(client, event)

    order.refresh_from_db()
    assert [record.getMessage() for record in caplog.records] == [
        f"Order {order.reference}: pending -> paid "
        f"(Checkout Session {order.stripe_checkout_session_id}, Stripe event {event['id']})"
    ]
    assert before <= order.paid_at <= timezone.now()
    record = StripeEvent.objects.get(stripe_event_id=event["id"])
    assert before <= record.received_at == record.processed_at <= timezone.now()
