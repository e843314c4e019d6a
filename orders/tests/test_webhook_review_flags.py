"""A paid order records what Stripe charged and is flagged for review when that does not match."""

import pytest
from django.core import mail

from orders.models import Order, StripeEvent
from orders.tests.factories import charge_object, make_order, session_object
from orders.tests.helpers import run_queued_tasks, status_of

pytestmark = pytest.mark.django_db

Status = Order.Status


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
    run_queued_tasks()
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
