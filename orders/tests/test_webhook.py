"""POST /webhook/: signed events only, each applied once, in whatever order they arrive."""

import json
import time

import pytest
from django.core import mail
from django.urls import reverse

from orders.models import Order, StripeEvent
from orders.tests.factories import charge_object, make_order, session_object
from orders.tests.helpers import WEBHOOK_SECRET, post_webhook
from stripe_emulator import objects
from stripe_emulator.webhooks import signature_header

pytestmark = pytest.mark.django_db

Status = Order.Status


@pytest.fixture
def order(db):
    return make_order()


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Post a signed event, running what the shop does after its transaction commits."""

    def post(client, event_type, data_object, event_id=None):
        with django_capture_on_commit_callbacks(execute=True):
            return post_webhook(client, objects.event(event_type, data_object, event_id))

    return post


def status_of(order) -> str:
    order.refresh_from_db()
    return order.status


def test_completed_and_paid_marks_the_order_paid_and_emails_once(client, deliver, order):
    response = deliver(client, "checkout.session.completed", session_object(order))

    assert response.status_code == 200
    assert status_of(order) == Status.PAID
    assert order.stripe_payment_intent_id == f"pi_{order.reference}"
    assert order.paid_at is not None
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


def test_unsigned_event_is_refused(client, deliver, order):
    body = json.dumps(objects.event("checkout.session.completed", session_object(order)))

    response = client.post(reverse("stripe_webhook"), body, content_type="application/json")

    assert response.status_code == 400
    assert status_of(order) == Status.PENDING


def test_event_signed_with_another_secret_is_refused(client, deliver, order):
    event = objects.event("checkout.session.completed", session_object(order))

    response = post_webhook(client, event, secret="whsec_attacker")

    assert response.status_code == 400
    assert "signature" in response.json()["error"].lower()
    assert status_of(order) == Status.PENDING


def test_stale_signature_is_refused(client, deliver, order):
    event = objects.event("checkout.session.completed", session_object(order))

    response = post_webhook(client, event, timestamp=int(time.time()) - 3600)

    assert response.status_code == 400
    assert status_of(order) == Status.PENDING


def test_tampered_body_is_refused(client, deliver, order):
    body = json.dumps(objects.event("checkout.session.completed", session_object(order))).encode()
    signature = signature_header(body, WEBHOOK_SECRET)
    tampered = body.replace(b'"paid"', b'"unpaid"')

    response = client.post(
        reverse("stripe_webhook"),
        tampered,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )

    assert response.status_code == 400


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"id": "evt_1"}', b'{"id": 1, "type": 2}'])
def test_malformed_signed_bodies_are_refused(client, deliver, order, body):
    response = client.post(
        reverse("stripe_webhook"),
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(body, WEBHOOK_SECRET),
    )

    assert response.status_code == 400
    assert status_of(order) == Status.PENDING


def test_a_signed_body_nested_thousands_deep_is_refused_with_a_message(client, order):
    deep = json.dumps(objects.event("checkout.session.completed", session_object(order)))
    body = deep[:-1] + ', "extra": ' + "[" * 5000 + "]" * 5000 + "}"

    response = client.post(
        reverse("stripe_webhook"),
        body.encode(),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(body.encode(), WEBHOOK_SECRET),
    )

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]
    assert status_of(order) == Status.PENDING
    assert StripeEvent.objects.count() == 0


def test_without_a_signing_secret_every_event_is_refused(client, deliver, order, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    event = objects.event("checkout.session.completed", session_object(order))

    response = post_webhook(client, event, secret="")

    assert response.status_code == 400
    assert status_of(order) == Status.PENDING


def test_webhook_refuses_get(client):
    assert client.get(reverse("stripe_webhook")).status_code == 405


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


def test_paid_order_records_what_stripe_charged_and_needs_no_review(client, deliver, order):
    deliver(client, "checkout.session.completed", session_object(order))

    order.refresh_from_db()
    assert (order.charged_currency, order.charged_subtotal, order.charged_total) == (
        "usd",
        9999,
        9999,
    )
    assert not order.needs_review


def test_a_300_character_email_from_checkout_is_kept_whole_and_the_payment_recorded(
    client, deliver
):
    order = make_order(customer_email="")
    email = "a" * 300 + "@example.com"

    response = deliver(
        client,
        "checkout.session.completed",
        session_object(order, customer_details={"email": email}),
        "evt_long_email",
    )

    assert response.status_code == 200
    assert status_of(order) == Status.PAID
    assert order.customer_email == email
    assert StripeEvent.objects.get(stripe_event_id="evt_long_email").outcome == "processed"
    assert [message.to for message in mail.outbox] == [[email]]


def test_oversized_fields_in_a_paid_session_still_mark_the_order_paid_and_flag_it(
    client, deliver, order
):
    oversized = session_object(
        order,
        payment_intent="pi_" + "x" * 300,
        currency="us dollars " * 30,
        amount_subtotal=10**30,
        amount_total="199.99",
    )

    response = deliver(client, "checkout.session.completed", oversized, "evt_oversized")

    assert response.status_code == 200
    assert status_of(order) == Status.PAID
    assert order.stripe_payment_intent_id == ""
    assert order.charged_currency == "" and order.charged_total is None
    assert order.review_reasons.splitlines() == [
        "Stripe charged in a currency the shop cannot read, but the order is in USD.",
        "Stripe reported no payment id the shop can store: refunds made at Stripe will not "
        "show on this order.",
    ]
    record = StripeEvent.objects.get(stripe_event_id="evt_oversized")
    assert record.outcome == "processed" and record.order == order
    assert record.payload["data"]["object"]["amount_subtotal"] == 10**30


def test_unreadable_amounts_in_the_shop_currency_flag_the_paid_order(client, deliver, order):
    deliver(
        client,
        "checkout.session.completed",
        session_object(order, amount_subtotal=10**30, amount_total="99.99"),
    )

    assert status_of(order) == Status.PAID
    assert order.review_reasons.splitlines() == [
        "Stripe reported no subtotal the shop can read.",
        "Stripe reported no total the shop can read.",
    ]


def test_an_event_with_an_oversized_id_and_type_is_recorded_once(client, order):
    event = objects.event("customer.created" + "." * 200, {"id": "cus_1"}, "evt_" + "9" * 400)

    responses = [post_webhook(client, event) for _ in range(2)]

    assert [response.status_code for response in responses] == [200, 200]
    [record] = StripeEvent.objects.all()
    assert record.outcome == "ignored" and record.delivery_count == 2
    assert record.payload["id"] == event["id"] and record.payload["type"] == event["type"]


def test_payment_in_another_currency_marks_the_order_paid_but_flags_it_and_logs_an_error(
    client, deliver, caplog
):
    order = make_order(total="199.99")

    deliver(
        client,
        "checkout.session.completed",
        session_object(order, currency="eur", amount_subtotal=1, amount_total=1),
        "evt_eur",
    )

    assert status_of(order) == Status.PAID
    assert (order.charged_currency, order.charged_total) == ("eur", 1)
    assert order.review_reasons == "Stripe charged in EUR, but the order is in USD."
    [logged] = [record for record in caplog.records if record.levelname == "ERROR"]
    assert order.reference in logged.getMessage()
    assert (logged.order_reference, logged.checkout_session_id, logged.stripe_event_id) == (
        order.reference,
        order.stripe_checkout_session_id,
        "evt_eur",
    )


def test_payment_of_less_than_the_order_total_marks_it_paid_and_flags_it(client, deliver):
    order = make_order(total="199.99")

    deliver(
        client,
        "checkout.session.completed",
        session_object(order, amount_subtotal=1, amount_total=1),
    )

    assert status_of(order) == Status.PAID
    assert order.review_reasons.splitlines() == [
        "Stripe's subtotal is $0.01, but the order's items come to $199.99.",
        "Stripe's total is $0.01, but the order's items come to $199.99.",
    ]


def test_a_refund_reported_above_the_charge_shows_no_more_than_was_charged(client, deliver, order):
    deliver(client, "checkout.session.completed", session_object(order))

    deliver(client, "charge.refunded", charge_object(order, 5_000_000))

    assert status_of(order) == Status.REFUNDED
    assert str(order.amount_refunded) == "99.99"
    assert order.review_reasons == (
        "Stripe reported $50,000.00 refunded of a $99.99 charge; the order shows all of the "
        "charge refunded, and no more."
    )


@pytest.mark.parametrize(
    "charge",
    [
        {"amount": 1, "amount_refunded": 1},
        {"amount": 5_000_000, "amount_refunded": 5_000_000},
        {"currency": "eur"},
    ],
    ids=["one-cent charge", "charge larger than the order", "charge in euros"],
)
def test_a_refunded_charge_that_is_not_the_orders_payment_flags_it_and_refunds_nothing(
    client, deliver, order, charge
):
    deliver(client, "checkout.session.completed", session_object(order))
    charge = charge_object(order, charge.pop("amount_refunded", 9999), **charge)

    response = deliver(client, "charge.refunded", charge)

    assert response.status_code == 200
    assert status_of(order) == Status.PAID
    assert order.amount_refunded == 0
    assert order.needs_review
    assert "but this order was charged $99.99; the order does not show that refund." in (
        order.review_reasons
    )
