"""The page Stripe sends a shopper back to: it asks Stripe, marks the order paid once, and
shows nothing to anyone else."""

import pytest
from django.core import mail
from django.test import Client

from orders.models import Order
from orders.tests.helpers import add_to_cart, check_out, run_queued_tasks
from products.models import Product

pytestmark = pytest.mark.django_db

Status = Order.Status


def test_success_page_marks_paid_only_when_stripe_says_paid(client, shop, control, paying):
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    order = Order.objects.get()

    before = paying(client, order.stripe_checkout_session_id)
    assert "We have not received your payment yet" in before.content.decode()
    order.refresh_from_db()
    assert order.status == Status.PENDING

    control.complete_session(order.stripe_checkout_session_id, "paid", email="pat@example.com")
    after = paying(client, order.stripe_checkout_session_id)

    order.refresh_from_db()
    assert order.status == Status.PAID
    assert "Thank you! Your payment was received" in after.content.decode()
    assert order.customer_email == "pat@example.com"
    assert client.session["cart"] == {}


def test_success_page_records_a_payment_made_with_a_300_character_email(
    client, shop, control, paying
):
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    order = Order.objects.get()
    email = "pat." + "x" * 300 + "@example.com"
    control.complete_session(order.stripe_checkout_session_id, "paid", email=email)

    page = paying(client, order.stripe_checkout_session_id)

    assert page.status_code == 200
    assert "Thank you! Your payment was received" in page.content.decode()
    order.refresh_from_db()
    assert order.status == Status.PAID and order.customer_email == email
    assert not order.needs_review
    run_queued_tasks()
    assert [message.to for message in mail.outbox] == [[email]]


def test_paying_empties_the_cart_even_if_a_price_changed_since_checkout(
    client, shop, control, paying
):
    bank = shop["portable-power-bank"]
    add_to_cart(client, bank, 2)
    check_out(client)
    order = Order.objects.get()
    Product.objects.filter(pk=bank.pk).update(price="59.99")
    control.complete_session(order.stripe_checkout_session_id, "paid")

    page = paying(client, order.stripe_checkout_session_id)

    assert "Thank you! Your payment was received" in page.content.decode()
    assert client.session["cart"] == {}


def test_paying_keeps_what_was_added_to_the_cart_after_checkout(client, shop, control, paying):
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    order = Order.objects.get()
    add_to_cart(client, shop["smart-fitness-watch"])
    control.complete_session(order.stripe_checkout_session_id, "paid")

    paying(client, order.stripe_checkout_session_id)

    assert client.session["cart"] == {
        str(shop["portable-power-bank"].pk): 1,
        str(shop["smart-fitness-watch"].pk): 1,
    }


def test_refreshing_success_page_does_not_fulfil_twice(client, shop, control, paying):
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    session_id = Order.objects.get().stripe_checkout_session_id
    control.complete_session(session_id, "paid", email="pat@example.com")

    pages = [paying(client, session_id) for _ in range(3)]

    assert all("Thank you!" in page.content.decode() for page in pages)
    run_queued_tasks()
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("outcome", "heading"),
    [
        (["paid"], "Thank you! Your payment was received"),
        (["async_pending", "async_failed"], "Your payment did not go through"),
    ],
    ids=["paid", "failed"],
)
def test_revisiting_the_success_page_of_a_settled_order_does_not_ask_stripe_again(
    client, shop, control, paying, stripe_emulator, outcome, heading
):
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    session_id = Order.objects.get().stripe_checkout_session_id
    for step in outcome:
        control.complete_session(session_id, step)
    assert heading in paying(client, session_id).content.decode()
    # From here on every answer from Stripe is lost, so asking it would show the apology.
    stripe_emulator.set_network_faults(lost_answers=3)

    again = paying(client, session_id).content.decode()

    assert heading in again
    assert "We could not confirm your payment with Stripe just now" not in again


def test_success_page_of_a_cancelled_order_asks_stripe_and_shows_a_payment_made_meanwhile(
    client, shop, control, paying
):
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    order = Order.objects.get()
    control.complete_session(order.stripe_checkout_session_id, "paid")
    # The shop closed the checkout at the moment Stripe took the payment.
    Order.objects.filter(pk=order.pk).update(status=Status.CANCELLED, checkout_open=False)

    page = paying(client, order.stripe_checkout_session_id).content.decode()

    assert "Thank you! Your payment was received" in page
    order.refresh_from_db()
    assert order.status == Status.PAID


def test_delayed_payment_shows_processing_then_paid(client, shop, control, paying):
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    order = Order.objects.get()
    control.complete_session(order.stripe_checkout_session_id, "async_pending")

    processing = paying(client, order.stripe_checkout_session_id).content.decode()
    order.refresh_from_db()
    assert "Your payment is processing" in processing
    assert order.status == Status.PENDING and order.is_payment_processing

    control.complete_session(order.stripe_checkout_session_id, "async_succeeded")
    assert "Thank you!" in paying(client, order.stripe_checkout_session_id).content.decode()


def test_success_page_shows_nothing_to_another_visitor(client, shop, control, paying):
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    order = Order.objects.get()
    control.complete_session(order.stripe_checkout_session_id, "paid")

    response = paying(Client(), order.stripe_checkout_session_id)

    assert response.status_code == 404
    assert order.reference not in response.content.decode()


@pytest.mark.parametrize(
    "session_id", ["", "nonsense", "cs_test_unknown", "cs_' OR 1=1", "x" * 5000]
)
def test_bad_or_unknown_session_id_is_a_404_page(client, shop, paying, session_id):
    response = paying(client, session_id)

    assert response.status_code == 404
    assert "find" in response.content.decode()
