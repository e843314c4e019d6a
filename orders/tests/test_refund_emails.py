"""Shoppers are emailed about each refund Stripe confirms, once, even when the mail is down."""

import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connections, transaction
from wagtail.models import Site

from orders import emails, refunds
from orders.models import Order, OrderEmail
from orders.tests.factories import make_order
from orders.tests.helpers import bring_deferred_tasks_forward, post_webhook, run_queued_tasks
from orders.tests.staff import paid_order, stripe_events
from shop.models import ShopSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(stripe_emulator, make_product):
    paid = paid_order(stripe_emulator, make_product("Desk Lamp", "25.00"))
    # Its confirmation goes out first; the tests here read the refund emails after it.
    run_queued_tasks()
    mail.outbox.clear()
    return paid


def refunded_at_stripe(emulator, order: Order, *amounts: str) -> list[dict]:
    """Refund these amounts one after another; Stripe's charge.refunded events, oldest first."""
    for number, amount in enumerate(amounts):
        refunds.refund_order(order, Decimal(amount), request_token=f"refund-request-{number}")
    return stripe_events(emulator, "charge.refunded")


def deliver(client, capture_on_commit, *events: dict) -> None:
    for event in events:
        with capture_on_commit(execute=True):
            assert post_webhook(client, event).status_code == 200
    run_queued_tasks()


def test_each_new_refunded_amount_is_emailed_once_however_often_stripe_repeats_itself(
    client, stripe_emulator, order, django_capture_on_commit_callbacks
):
    first, second = refunded_at_stripe(stripe_emulator, order, "10.00", "15.00")

    deliver(client, django_capture_on_commit_callbacks, first, first, second, first, second)

    assert [message.subject for message in mail.outbox] == [
        f"A refund on your order {order.reference}",
        f"A refund on your order {order.reference}",
    ]
    assert "We have refunded $10.00 of order" in mail.outbox[0].body
    assert "Refunded so far: $10.00 of the $50.00 you paid." in mail.outbox[0].body
    assert "We have refunded $15.00 of order" in mail.outbox[1].body
    assert "Refunded so far: $25.00 of the $50.00 you paid." in mail.outbox[1].body
    order.refresh_from_db()
    assert order.amount_refunded == Decimal("25.00")
    assert [(email.key, email.status) for email in order.emails.filter(reason="refund")] == [
        ("1000", OrderEmail.Status.SENT),
        ("2500", OrderEmail.Status.SENT),
    ]


def test_refunds_arriving_out_of_order_are_emailed_as_one_refund_of_the_newest_amount(
    client, stripe_emulator, order, django_capture_on_commit_callbacks
):
    first, second = refunded_at_stripe(stripe_emulator, order, "10.00", "15.00")

    deliver(client, django_capture_on_commit_callbacks, second, first)

    [message] = mail.outbox
    assert message.to == [order.customer_email] and order.customer_email
    assert "We have refunded $25.00 of order" in message.body
    assert "Refunded so far: $25.00 of the $50.00 you paid." in message.body


def test_a_full_refund_email_names_the_shop_in_text_and_html(
    client, stripe_emulator, order, django_capture_on_commit_callbacks
):
    ShopSettings.objects.create(
        site=Site.objects.get(is_default_site=True),
        shop_name="Tom's Lamps & Lights",
        support_email="help@lamps.example",
    )
    partial, full = refunded_at_stripe(stripe_emulator, order, "20.00", "30.00")

    deliver(client, django_capture_on_commit_callbacks, partial, full)

    last = mail.outbox[-1]
    assert last.subject == f"Your order {order.reference} has been refunded"
    assert f"We have refunded order {order.reference} in full: $30.00" in last.body
    assert "Refunded so far: $50.00 of the $50.00 you paid." in last.body
    assert last.body.rstrip().endswith("Tom's Lamps & Lights")
    assert "Write to help@lamps.example" in last.body
    [(html, mimetype)] = last.alternatives
    assert mimetype == "text/html"
    assert "Tom&#x27;s Lamps &amp; Lights" in html and "<strong>$30.00</strong>" in html
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED


def test_a_refund_email_the_mail_server_refused_is_sent_when_it_answers_again(
    client, stripe_emulator, order, django_capture_on_commit_callbacks, monkeypatch
):
    [refunded] = refunded_at_stripe(stripe_emulator, order, "12.50")

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    with monkeypatch.context() as mail_server_down:
        mail_server_down.setattr(emails.EmailMultiAlternatives, "send", refuse)
        deliver(client, django_capture_on_commit_callbacks, refunded)

    assert mail.outbox == []
    order.refresh_from_db()
    assert order.amount_refunded == Decimal("12.50")
    bring_deferred_tasks_forward()
    assert run_queued_tasks() == 1
    assert run_queued_tasks() == 0

    [message] = mail.outbox
    assert "We have refunded $12.50 of order" in message.body


@pytest.mark.django_db(transaction=True)
def test_ten_threads_sending_the_same_refund_email_at_once_send_it_once():
    order = make_order(
        status=Order.Status.PAID, payment_intent_id="pi_paid", amount_refunded=Decimal("12.50")
    )
    with transaction.atomic():
        emails.queue_refund_notice(order, 1250)
    email = order.emails.get()
    barrier = threading.Barrier(10)
    sent = []

    def worker():
        try:
            barrier.wait()
            sent.append(emails.send(email.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(sent) == 10
    email.refresh_from_db()
    assert email.status == OrderEmail.Status.SENT and email.attempts == 1
    [message] = mail.outbox
    assert "Refunded so far: $12.50 of the $99.99 you paid." in message.body
