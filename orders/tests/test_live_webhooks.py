"""The emulator signs and delivers webhooks to a running shop, as Stripe would."""

import threading

import pytest
from django.conf import settings
from django.core import mail
from django.db import connections
from django.test import Client

from orders import checkout
from orders.cart import Cart
from orders.models import Order, StripeEvent
from orders.shoppers import SHOPPER_SESSION_KEY
from orders.tests.helpers import run_queued_tasks
from products.models import Product
from stripe_emulator.testing import EmulatorControl

pytestmark = pytest.mark.django_db(transaction=True)

Status = Order.Status


@pytest.fixture
def control(stripe_emulator, live_server):
    stripe_emulator.configure(webhook_url=f"{live_server.url}/webhook/")
    return EmulatorControl(stripe_emulator.base_url)


@pytest.fixture
def shopper_client(seeded_shop):
    client = Client()
    session = client.session
    session[SHOPPER_SESSION_KEY] = "live-shopper"
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


@pytest.fixture
def order(shopper_client, stripe_emulator):
    session = shopper_client.session
    Cart(session).add(Product.objects.get(slug="portable-power-bank").pk, 1)
    urls = checkout.CheckoutUrls("http://testserver/success/", "http://testserver/cancel/")
    return checkout.create_checkout(Cart(session), "session:live-shopper", None, urls)


def refreshed(order) -> Order:
    order.refresh_from_db()
    return order


def test_paid_checkout_is_delivered_and_applied(control, order, stripe_emulator):
    control.complete_session(order.stripe_checkout_session_id, "paid", email="pat@example.com")
    stripe_emulator.wait_for_deliveries()

    assert refreshed(order).status == Status.PAID
    run_queued_tasks()
    assert [m.to for m in mail.outbox] == [["pat@example.com"]]
    assert {d["status"] for d in control.deliveries()} == {200}


def test_delayed_payment_then_success(control, order, stripe_emulator):
    control.complete_session(order.stripe_checkout_session_id, "async_pending")
    stripe_emulator.wait_for_deliveries()
    assert refreshed(order).is_payment_processing

    control.complete_session(order.stripe_checkout_session_id, "async_succeeded")
    stripe_emulator.wait_for_deliveries()
    assert refreshed(order).status == Status.PAID


def test_delayed_payment_then_failure(control, order, stripe_emulator):
    control.complete_session(order.stripe_checkout_session_id, "async_pending")
    control.complete_session(order.stripe_checkout_session_id, "async_failed")
    stripe_emulator.wait_for_deliveries()

    assert refreshed(order).status == Status.FAILED
    assert mail.outbox == []


def test_out_of_order_and_duplicate_deliveries_end_like_one_in_order_delivery(
    control, order, stripe_emulator
):
    session_id = order.stripe_checkout_session_id
    completed = control.complete_session(session_id, "async_pending", deliver=False)
    settled = control.complete_session(session_id, "async_succeeded", deliver=False)
    events = completed["event_ids"] + settled["event_ids"]

    control.deliver(list(reversed(events)))
    for event_id in events:
        control.redeliver(event_id)
    stripe_emulator.wait_for_deliveries()

    assert refreshed(order).status == Status.PAID
    assert run_queued_tasks() == 1
    assert len(mail.outbox) == 1
    assert StripeEvent.objects.count() == len(events)
    assert all(record.delivery_count == 2 for record in StripeEvent.objects.all())


def test_expiry_after_payment_keeps_the_order_paid(control, order, stripe_emulator):
    control.complete_session(order.stripe_checkout_session_id, "paid")
    control.fire_event(order.stripe_checkout_session_id, "checkout.session.expired")
    stripe_emulator.wait_for_deliveries()

    assert refreshed(order).status == Status.PAID


def test_expired_session_cancels_the_order(control, order, stripe_emulator):
    control.expire_sessions(order.stripe_checkout_session_id)
    stripe_emulator.wait_for_deliveries()

    assert refreshed(order).status == Status.CANCELLED


def test_success_page_and_webhooks_racing_pay_once(control, order, shopper_client, stripe_emulator):
    session_id = order.stripe_checkout_session_id
    event_ids = control.complete_session(session_id, "paid", deliver=False)["event_ids"]
    barrier = threading.Barrier(20)
    answers = []

    def open_success_page():
        tab = Client()
        tab.cookies = shopper_client.cookies
        barrier.wait()
        answers.append(tab.get("/success/", {"session_id": session_id}).status_code)
        connections.close_all()

    def deliver_webhooks():
        barrier.wait()
        control.deliver(event_ids)
        answers.append(200)

    threads = [threading.Thread(target=open_success_page) for _ in range(10)]
    threads += [threading.Thread(target=deliver_webhooks) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    stripe_emulator.wait_for_deliveries()

    assert answers == [200] * 20
    assert refreshed(order).status == Status.PAID
    assert run_queued_tasks() == 1
    assert len(mail.outbox) == 1
    assert {d["status"] for d in control.deliveries()} == {200}
