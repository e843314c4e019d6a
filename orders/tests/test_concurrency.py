"""Many deliveries of the same payment at once, in threads and in separate processes."""

import logging
import multiprocessing
import os
import threading
import time

import pytest
from django.core import mail
from django.db import connections
from django.test import Client

from orders.models import Order, StripeEvent
from orders.tests.factories import make_order, session_object
from orders.tests.helpers import post_webhook, run_queued_tasks
from stripe_emulator import objects

pytestmark = pytest.mark.django_db(transaction=True)

DELIVERIES = 20


class TransitionCounter(logging.Handler):
    """Counts the status changes the shop logs, one record per transition."""

    def __init__(self):
        super().__init__()
        self.paid = 0

    def emit(self, record):
        if " -> paid (Checkout Session " in record.getMessage():
            self.paid += 1


@pytest.fixture(autouse=True)
def slow_transitions(monkeypatch):
    """Widen the window between reading an order and changing it, so races show up."""
    move = Order.move_to

    def slow_move(order, target):
        time.sleep(0.05)
        return move(order, target)

    monkeypatch.setattr(Order, "move_to", slow_move)


@pytest.fixture
def transitions():
    counter = TransitionCounter()
    models_logger = logging.getLogger("orders.models")
    models_logger.addHandler(counter)
    previous_level = models_logger.level
    models_logger.setLevel(logging.INFO)
    yield counter
    models_logger.removeHandler(counter)
    models_logger.setLevel(previous_level)


def deliver_concurrently(events, results):
    """Post each event from its own thread, all released at the same moment."""
    barrier = threading.Barrier(len(events))

    def worker(event):
        try:
            barrier.wait()
            results.append(post_webhook(Client(), event).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


# Signed as the event happened, a delivery goes straight to the paying statement; signed an hour
# later, as Stripe's retries are, it is first looked for among those recorded.
@pytest.mark.parametrize("created_ago", [0, 60 * 60], ids=["signed-at-once", "signed-later"])
def test_twenty_threads_delivering_one_event_pay_once_and_email_once(transitions, created_ago):
    order = make_order()
    event = objects.event(
        "checkout.session.completed",
        session_object(order),
        "evt_threads",
        created=int(time.time()) - created_ago,
    )
    statuses = []

    deliver_concurrently([event] * DELIVERIES, statuses)

    order.refresh_from_db()
    assert statuses == [200] * DELIVERIES
    assert order.status == Order.Status.PAID
    assert transitions.paid == 1
    assert run_queued_tasks() == 1
    assert len(mail.outbox) == 1
    assert StripeEvent.objects.get(stripe_event_id="evt_threads").delivery_count == DELIVERIES


def test_different_events_for_one_payment_racing_pay_once(transitions):
    order = make_order()
    paid = session_object(order)
    events = [
        objects.event(kind, paid, f"evt_{kind}_{n}")
        for n in range(DELIVERIES // 2)
        for kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded")
    ]
    statuses = []

    deliver_concurrently(events, statuses)

    order.refresh_from_db()
    assert statuses == [200] * DELIVERIES
    assert order.status == Order.Status.PAID
    assert transitions.paid == 1
    assert run_queued_tasks() == 1
    assert len(mail.outbox) == 1


def _deliver_in_child(event, deliveries, queue, transitions):
    statuses = []
    deliver_concurrently([event] * deliveries, statuses)
    queue.put((os.getpid(), statuses, transitions.paid))


def test_two_processes_delivering_one_event_pay_once_and_email_once(transitions):
    order = make_order()
    event = objects.event("checkout.session.completed", session_object(order), "evt_processes")
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    connections.close_all()

    children = [
        context.Process(target=_deliver_in_child, args=(event, DELIVERIES // 2, queue, transitions))
        for _ in range(2)
    ]
    for child in children:
        child.start()
    reports = [queue.get(timeout=120) for _ in children]
    for child in children:
        child.join(timeout=30)

    order.refresh_from_db()
    assert len({pid for pid, *_ in reports}) == 2
    assert [status for _, statuses, *_ in reports for status in statuses] == [200] * DELIVERIES
    assert sum(paid for *_, paid in reports) == 1
    assert order.status == Order.Status.PAID
    assert order.emails.count() == 1
    assert run_queued_tasks() == 1
    assert len(mail.outbox) == 1
    assert StripeEvent.objects.get(stripe_event_id="evt_processes").delivery_count == DELIVERIES
