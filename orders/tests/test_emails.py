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
