from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from orders import emails
from orders.models import Order, OrderEmail
from orders.tests.factories import make_order
from orders.tests.helpers import run_queued_tasks

pytestmark = pytest.mark.django_db


def confirm(order: Order) -> OrderEmail:
    with transaction.atomic():
        emails.queue_confirmation(order)
    return order.emails.get(reason=OrderEmail.Reason.CONFIRMATION)


def test_confirmation_is_sent_once_however_often_it_is_asked_for():
    order = make_order(status=Order.Status.PAID, paid_at=timezone.now())

    [email] = {confirm(order) for _ in range(3)}
    assert run_queued_tasks() == 1
    assert emails.send(email.pk) == OrderEmail.Status.SENT

    assert len(mail.outbox) == 1
    assert "Portable Power Bank" in mail.outbox[0].body
    assert mail.outbox[0].extra_headers["Message-ID"] == emails.message_id(email)
    email.refresh_from_db()
    assert email.status == OrderEmail.Status.SENT and email.sent_at and email.attempts == 1


def test_a_mail_server_failure_leaves_the_email_to_be_sent_later(monkeypatch):
    order = make_order(status=Order.Status.PAID, paid_at=timezone.now() - timedelta(hours=1))
    email = confirm(order)

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    with monkeypatch.context() as mail_server_down:
        mail_server_down.setattr(emails.EmailMultiAlternatives, "send", refuse)
        run_queued_tasks()

    email.refresh_from_db()
    assert email.status == OrderEmail.Status.PENDING
    assert "mail server down" in email.last_error
    assert mail.outbox == []

    assert emails.send(email.pk) == OrderEmail.Status.SENT
    assert [message.to for message in mail.outbox] == [["shopper@example.com"]]


def test_plain_text_confirmation_shows_product_names_as_typed(make_product):
    product = make_product("Tom's Fish & Chips", "12.50")
    order = make_order(
        status=Order.Status.PAID, paid_at=timezone.now(), product=product, total="12.50"
    )

    confirm(order)
    run_queued_tasks()

    [message] = mail.outbox
    assert "1 x Tom's Fish & Chips  $12.50" in message.body
    assert "&#x27;" not in message.body and "&amp;" not in message.body


def test_an_order_refunded_before_its_confirmation_went_out_is_not_confirmed():
    order = make_order(status=Order.Status.REFUNDED, paid_at=timezone.now() - timedelta(hours=1))
    email = confirm(order)

    run_queued_tasks()

    assert mail.outbox == []
    email.refresh_from_db()
    assert email.status == OrderEmail.Status.SKIPPED
    assert email.last_error == "The order was refunded before it went out."


def test_an_address_no_email_can_carry_is_logged_and_not_retried(caplog):
    order = make_order(
        status=Order.Status.PAID,
        paid_at=timezone.now() - timedelta(hours=1),
        customer_email="pat\n@example.com",
    )
    email = confirm(order)

    run_queued_tasks()

    assert emails.send(email.pk) == OrderEmail.Status.FAILED
    assert mail.outbox == []
    assert (
        f"Order confirmed email for order {order.reference} cannot be sent: "
        "its address cannot be written to"
    ) in caplog.text
