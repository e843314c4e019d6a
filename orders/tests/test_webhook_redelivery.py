"""An event is recorded in the transaction that applies it: a delivery that fails or crashes
before its commit is applied in full when Stripe delivers it again, and only once."""

import pytest
from django.test import Client

from orders.models import Order, OrderEmail, StripeEvent
from orders.tests.factories import make_order, session_object
from orders.tests.helpers import outbox_refusing_writes, post_webhook
from stripe_emulator import objects

pytestmark = pytest.mark.django_db(transaction=True)


def confirmations(order: Order) -> int:
    return OrderEmail.objects.filter(order=order, reason=OrderEmail.Reason.CONFIRMATION).count()


@pytest.mark.parametrize(
    ("earlier", "answered", "status", "confirmed"),
    [
        (StripeEvent.Outcome.FAILED, "processed", Order.Status.PAID, True),
        # Even though its order could be paid now: an event's outcome is decided once.
        (StripeEvent.Outcome.IGNORED, "ignored", Order.Status.PENDING, False),
    ],
)
def test_a_delivered_again_event_is_applied_again_only_if_it_failed(
    client, earlier, answered, status, confirmed
):
    order = make_order()
    event = objects.event("checkout.session.completed", session_object(order))
    StripeEvent.objects.create(
        stripe_event_id=event["id"],
        type=event["type"],
        payload=event,
        outcome=earlier,
        detail="What the earlier delivery recorded.",
    )

    response = post_webhook(client, event)

    assert (response.status_code, response.json()["outcome"]) == (200, answered)
    order.refresh_from_db()
    assert order.status == status
    record = StripeEvent.objects.get(stripe_event_id=event["id"])
    assert (record.outcome, record.delivery_count) == (answered, 2)
    assert record.order == (order if confirmed else None)
    assert record.detail == ("" if confirmed else "What the earlier delivery recorded.")
    assert confirmations(order) == (1 if confirmed else 0)


def test_a_delivery_that_crashes_before_its_commit_is_applied_by_the_next():
    order = make_order()
    event = objects.event("checkout.session.completed", session_object(order))

    with outbox_refusing_writes():
        crashed = post_webhook(Client(raise_request_exception=False), event)

    assert crashed.status_code == 500
    assert not StripeEvent.objects.filter(stripe_event_id=event["id"]).exists()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING

    redelivered = post_webhook(Client(), event)

    assert (redelivered.status_code, redelivered.json()["outcome"]) == (200, "processed")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    record = StripeEvent.objects.get(stripe_event_id=event["id"])
    assert (record.outcome, record.delivery_count) == ("processed", 1)
    assert confirmations(order) == 1


def test_a_repeat_of_an_applied_event_changes_nothing_but_its_count(client):
    order = make_order()
    event = objects.event("checkout.session.completed", session_object(order))
    post_webhook(client, event)

    responses = [post_webhook(client, event) for _ in range(2)]

    assert [(r.status_code, r.json()["outcome"]) for r in responses] == [(200, "processed")] * 2
    record = StripeEvent.objects.get(stripe_event_id=event["id"])
    assert (record.outcome, record.order, record.delivery_count) == ("processed", order, 3)
    assert OrderEmail.objects.filter(order=order).count() == 1
