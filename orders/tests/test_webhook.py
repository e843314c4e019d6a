"""POST /webhook/: each signed event applied once, in whatever order they arrive."""

import pytest
from django.core import mail

from orders.models import Order, StripeEvent
from orders.tests.factories import charge_object, make_order, session_object
from orders.tests.helpers import post_webhook, run_queued_tasks, status_of
from stripe_emulator import objects

pytestmark = pytest.mark.django_db

Status = Order.Status


def test_completed_and_paid_marks_the_order_paid_and_emails_once(client, deliver, order):
    response = deliver(client, "checkout.session.completed", session_object(order))

    assert response.status_code == 200
    assert status_of(order) == Status.PAID
    assert order.stripe_payment_intent_id == f"pi_{order.reference}"
    assert order.paid_at is not None
    assert run_queued_tasks() == 1
    assert [message.to for message in mail.outbox] == [["shopper@example.com"]]
    assert order.reference in mail.outbox[0].subject


def test_completed_but_unpaid_stays_pending_as_processing(client, deliver, order):
    deliver(client, "checkout.session.completed", session_object(order, payment_status="unpaid"))

    assert status_of(order) == Status.PENDING
    assert order.is_payment_processing
    assert mail.outbox == []


def test_async_success_after_completed_unpaid_marks_paid(client, deliver, order):
    unpaid = session_object(order, payment_status="unpaid")
    deliver(client, "checkout.session.completed", unpaid)
    deliver(client, "checkout.session.async_payment_succeeded", session_object(order))

    assert status_of(order) == Status.PAID
    run_queued_tasks()
    assert len(mail.outbox) == 1


def test_async_failure_marks_failed(client, deliver, order):
    unpaid = session_object(order, payment_status="unpaid")
    deliver(client, "checkout.session.completed", unpaid)
    deliver(client, "checkout.session.async_payment_failed", unpaid)

    assert status_of(order) == Status.FAILED
    assert mail.outbox == []


def test_expiry_cancels_a_pending_order(client, deliver, order):
    deliver(client, "checkout.session.expired", session_object(order, "expired", "unpaid"))

    assert status_of(order) == Status.CANCELLED


def test_expiry_after_payment_leaves_the_order_paid(client, deliver, order):
    deliver(client, "checkout.session.completed", session_object(order))
    deliver(client, "checkout.session.expired", session_object(order, "expired", "unpaid"))

    assert status_of(order) == Status.PAID


def test_late_completed_unpaid_after_async_success_keeps_paid(client, deliver, order):
    deliver(client, "checkout.session.async_payment_succeeded", session_object(order))
    deliver(client, "checkout.session.completed", session_object(order, payment_status="unpaid"))

    assert status_of(order) == Status.PAID
    run_queued_tasks()
    assert len(mail.outbox) == 1


def test_async_failure_cannot_undo_a_payment(client, deliver, order):
    deliver(client, "checkout.session.completed", session_object(order))
    deliver(
        client,
        "checkout.session.async_payment_failed",
        session_object(order, payment_status="unpaid"),
    )

    assert status_of(order) == Status.PAID


def test_duplicate_delivery_is_acknowledged_and_applied_once(
    client, order, django_capture_on_commit_callbacks
):
    event = objects.event("checkout.session.completed", session_object(order), "evt_dup")

    with django_capture_on_commit_callbacks(execute=True):
        first = post_webhook(client, event)
        second = post_webhook(client, event)

    assert (first.status_code, second.status_code) == (200, 200)
    assert status_of(order) == Status.PAID
    run_queued_tasks()
    assert len(mail.outbox) == 1
    record = StripeEvent.objects.get(stripe_event_id="evt_dup")
    assert record.delivery_count == 2
    assert record.order == order


def test_full_refund_marks_refunded_and_records_the_amount(client, deliver, order):
    deliver(client, "checkout.session.completed", session_object(order))
    deliver(client, "charge.refunded", charge_object(order, order.total_in_cents))

    assert status_of(order) == Status.REFUNDED
    assert order.amount_refunded == order.total


def test_partial_refund_keeps_paid_and_records_the_amount(client, deliver, order):
    deliver(client, "checkout.session.completed", session_object(order))
    deliver(client, "charge.refunded", charge_object(order, 1000))
    deliver(client, "charge.refunded", charge_object(order, 500))

    assert status_of(order) == Status.PAID
    assert str(order.amount_refunded) == "10.00"


def test_unknown_event_types_are_acknowledged_without_change(client, deliver, order):
    response = deliver(client, "customer.created", {"id": "cus_1", "object": "customer"})

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert status_of(order) == Status.PENDING


def test_event_for_a_session_the_shop_does_not_know_is_acknowledged(client, deliver, order):
    stranger = session_object(order, id="cs_test_not_ours")

    response = deliver(client, "checkout.session.completed", stranger)

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert status_of(order) == Status.PENDING


def test_refund_event_without_a_payment_intent_changes_no_order(client, deliver):
    paid = make_order(status=Status.PAID, payment_intent_id="")
    charge = charge_object(paid, paid.total_in_cents) | {"payment_intent": None}

    response = deliver(client, "charge.refunded", charge)

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert status_of(paid) == Status.PAID


@pytest.mark.parametrize(
    ("event_type", "data_object"),
    [
        ("checkout.session.completed", {"object": "checkout.session", "status": "complete"}),
        ("checkout.session.completed", {"id": 42, "payment_status": "paid"}),
        ("charge.refunded", {"payment_intent": "pi_1", "amount": "lots", "amount_refunded": 1}),
        ("charge.refunded", {"payment_intent": "pi_1", "amount": 100, "amount_refunded": -5}),
    ],
)
def test_signed_events_with_odd_objects_are_acknowledged_and_change_nothing(
    client, deliver, order, event_type, data_object
):
    response = deliver(client, event_type, data_object)

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert status_of(order) == Status.PENDING


def test_nul_characters_in_a_signed_event_are_stored_without_them(client, deliver, order):
    paid = session_object(order, metadata={"note": "a\u0000b"})

    response = deliver(client, "checkout.session.completed", paid, "evt_nul\u0000")

    assert response.status_code == 200
    assert status_of(order) == Status.PAID
    assert StripeEvent.objects.get(stripe_event_id="evt_nul").payload["data"]["object"][
        "metadata"
    ] == {"note": "ab"}


def test_an_event_with_an_oversized_id_and_type_is_recorded_once(client, order):
    event = objects.event("customer.created" + "." * 200, {"id": "cus_1"}, "evt_" + "9" * 400)

    responses = [post_webhook(client, event) for _ in range(2)]

    assert [response.status_code for response in responses] == [200, 200]
    [record] = StripeEvent.objects.all()
    assert record.outcome == "ignored" and record.delivery_count == 2
    assert record.payload["id"] == event["id"] and record.payload["type"] == event["type"]
