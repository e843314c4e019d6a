from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from orders import emails
from orders.models import Order
from orders.tests.factories import make_order

pytestmark = pytest.mark.django_db


def test_confirmation_is_sent_once_however_often_it_is_asked_for():
    order = make_order(status=Order.Status.PAID, paid_at=timezone.now())

    results = [emails.send_order_confirmation(order.pk) for _ in range(3)]

    assert results == [True, False, False]
    assert len(mail.outbox) == 1
    assert "Portable Power Bank" in mail.outbox[0].body


def test_a_mail_server_failure_leaves_the_email_to_be_sent_later(monkeypatch):
    order = make_order(status=Order.Status.PAID, paid_at=timezone.now() - timedelta(hours=1))

    def refuse(**kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(emails, "send_mail", refuse)
    assert emails.send_order_confirmation(order.pk) is False
    order.refresh_from_db()
    assert order.confirmation_sent_at is None

    monkeypatch.undo()
    assert emails.send_missing_confirmations(timezone.now()) == 1
    assert emails.send_missing_confirmations(timezone.now()) == 0
    assert [message.to for message in mail.outbox] == [["shopper@example.com"]]


def test_just_paid_orders_are_left_to_the_request_that_paid_them():
    make_order(status=Order.Status.PAID, paid_at=timezone.now())

    assert emails.send_missing_confirmations(timezone.now()) == 0
    assert mail.outbox == []


def test_plain_text_confirmation_shows_product_names_as_typed(make_product):
    product = make_product("Tom's Fish & Chips", "12.50")
    order = make_order(
        status=Order.Status.PAID, paid_at=timezone.now(), product=product, total="12.50"
    )

    emails.send_order_confirmation(order.pk)

    [message] = mail.outbox
    assert "1 x Tom's Fish & Chips  $12.50" in message.body
    assert "&#x27;" not in message.body and "&amp;" not in message.body


def test_an_order_refunded_before_its_confirmation_went_out_is_not_confirmed():
    order = make_order(status=Order.Status.REFUNDED, paid_at=timezone.now() - timedelta(hours=1))

    assert emails.send_order_confirmation(order.pk) is False
    assert emails.send_missing_confirmations(timezone.now()) == 0
    assert mail.outbox == []


def test_an_address_no_email_can_carry_is_logged_and_not_retried(caplog):
    order = make_order(
        status=Order.Status.PAID,
        paid_at=timezone.now() - timedelta(hours=1),
        customer_email="pat\n@example.com",
    )

    assert emails.send_order_confirmation(order.pk) is False
    assert emails.send_missing_confirmations(timezone.now()) == 0
    assert mail.outbox == []
    assert f"Order {order.reference} is paid but its email address cannot be written to" in (
        caplog.text
    )
