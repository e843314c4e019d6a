"""The shopper hears once that an order is on its way, however often or however many staff
mark it shipped, and hears when a delayed payment fails after checkout."""

import threading

import pytest
from django.core import mail
from django.db import connections

from orders import fulfilment
from orders.fulfilment import FulfilmentError
from orders.models import Order, OrderEmail
from orders.tests.factories import session_object
from orders.tests.helpers import login, run_queued_tasks, staff_member, start_checkout
from orders.tests.shipping import SHIPMENT, bulk_ship_url, paid_order
from products.models import Product
from stripe_emulator.testing import EmulatorControl

Reason = OrderEmail.Reason
SHIPPERS = 8


@pytest.mark.django_db
def test_shipping_an_order_twice_emails_the_shopper_once(seeded_shop):
    order = paid_order()
    fulfilment.mark_shipped(order, **SHIPMENT, by=None)
    with pytest.raises(FulfilmentError):
        fulfilment.mark_shipped(order, carrier="DHL", by=None)

    assert run_queued_tasks() == 1
    [message] = mail.outbox
    assert message.subject == f"Your order {order.reference} is on its way"
    assert "UPS" in message.body and "DHL" not in message.body
    [email] = order.emails.all()
    assert (email.reason, email.status) == (Reason.SHIPPED, OrderEmail.Status.SENT)


@pytest.mark.django_db
def test_orders_shipped_in_bulk_each_email_their_shopper(client, seeded_shop):
    orders = [paid_order(customer_email=f"shopper{n}@example.com") for n in range(3)]
    login(client, staff_member("margaret", "Shop managers"))

    response = client.post(bulk_ship_url(*orders), {"carrier": "Royal Mail"})

    assert response.status_code == 302
    assert run_queued_tasks() == 3
    assert sorted(message.to[0] for message in mail.outbox) == [
        f"shopper{n}@example.com" for n in range(3)
    ]
    assert all("has left us with Royal Mail." in message.body for message in mail.outbox)


@pytest.mark.django_db
def test_a_refunded_order_is_not_told_it_is_on_its_way(seeded_shop):
    order = paid_order()
    fulfilment.mark_shipped(order, **SHIPMENT, by=None)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.REFUNDED)

    run_queued_tasks()

    assert mail.outbox == []
    assert order.emails.get().last_error == "The order was refunded before it went out."


@pytest.mark.django_db(transaction=True)
def test_staff_shipping_one_order_at_once_email_the_shopper_once(seeded_shop):
    order = paid_order()
    barrier = threading.Barrier(SHIPPERS)
    outcomes = []

    def ship(number):
        try:
            barrier.wait()
            fulfilment.mark_shipped(order, carrier=f"Carrier {number}", by=None)
            outcomes.append("shipped")
        except FulfilmentError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ship, args=(number,)) for number in range(SHIPPERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["refused"] * (SHIPPERS - 1) + ["shipped"]
    assert run_queued_tasks() == 1
    [message] = mail.outbox
    order.refresh_from_db()
    assert f"has left us with {order.carrier}." in message.body
    assert order.emails.filter(reason=Reason.SHIPPED).count() == 1


@pytest.mark.django_db
def test_a_delayed_payment_failing_emails_the_shopper_once(client, deliver, order):
    unpaid = session_object(order, payment_status="unpaid")
    deliver(client, "checkout.session.completed", unpaid)
    deliver(client, "checkout.session.async_payment_failed", unpaid)
    deliver(client, "checkout.session.async_payment_failed", unpaid)

    order.refresh_from_db()
    assert order.status == Order.Status.FAILED
    assert run_queued_tasks() == 1
    [message] = mail.outbox
    assert message.to == ["shopper@example.com"]
    assert message.subject == f"The payment for your order {order.reference} did not go through"
    assert [email.reason for email in order.emails.all()] == [Reason.PAYMENT_FAILED]


@pytest.mark.django_db(transaction=True)
def test_a_bank_transfer_failing_at_stripe_emails_the_shopper(
    seeded_shop, stripe_emulator, live_server
):
    stripe_emulator.configure(webhook_url=f"{live_server.url}/webhook/")
    control = EmulatorControl(stripe_emulator.base_url)
    order = start_checkout((Product.objects.first(), 1))
    control.complete_session(
        order.stripe_checkout_session_id, "async_pending", email="transfer@example.com"
    )
    control.complete_session(order.stripe_checkout_session_id, "async_failed")
    stripe_emulator.wait_for_deliveries()

    order.refresh_from_db()
    assert order.status == Order.Status.FAILED
    assert run_queued_tasks() == 1
    [message] = mail.outbox
    assert message.to == ["transfer@example.com"]
    assert "was declined after checkout" in message.body
