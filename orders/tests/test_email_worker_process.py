"""Emails sent by a real worker process against PostgreSQL and a real SMTP server."""

import threading
import time

import pytest
from django.db import connections, transaction

from background.tests.processes import ShopProcess, wait_for
from orders import emails
from orders.models import Order, OrderEmail
from orders.tests.factories import make_order, session_object
from orders.tests.helpers import post_webhook, status_of
from orders.tests.mail_server import StallingMailServer
from stripe_emulator import objects

pytestmark = pytest.mark.django_db(transaction=True)

LEASE_SECONDS = 2


def worker(tmp_path, mail_server: StallingMailServer, name: str) -> ShopProcess:
    return ShopProcess(
        name,
        ["run_worker", f"--worker-id={name}"],
        tmp_path / f"{name}.log",
        {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_URL": f"smtp://127.0.0.1:{mail_server.port}",
            "SHOP_TASK_LEASE_SECONDS": str(LEASE_SECONDS),
            "SHOP_WORKER_POLL_SECONDS": "0.2",
        },
    )


def pay(client, order: Order) -> None:
    event = objects.event("checkout.session.completed", session_object(order))
    assert post_webhook(client, event).status_code == 200


def confirmation_of(order: Order) -> OrderEmail:
    return order.emails.get(reason=OrderEmail.Reason.CONFIRMATION)


def test_a_paid_orders_email_is_sent_once_when_the_worker_is_killed_mid_send(client, tmp_path):
    order = make_order()
    pay(client, order)

    with StallingMailServer(stall=1) as mail_server:
        first = worker(tmp_path, mail_server, "first")
        try:
            assert mail_server.stalling.wait(timeout=60), first.log()
            assert confirmation_of(order).status == OrderEmail.Status.SENDING
            first.kill()
        finally:
            first.stop()
        assert mail_server.delivered == []
        # The dead worker's claim, and its task still marked running, go stale after the lease;
        # the worker started again finds them then.
        time.sleep(LEASE_SECONDS + 0.5)
        second = worker(tmp_path, mail_server, "second")
        try:
            sent = wait_for(
                lambda: confirmation_of(order).status == OrderEmail.Status.SENT, 60, second
            )
            assert sent, second.log()
        finally:
            second.stop()

    [message] = mail_server.delivered
    email = confirmation_of(order)
    assert message["Message-ID"] == emails.message_id(email)
    assert message["To"] == "shopper@example.com"
    assert message["Subject"] == f"Your order {order.reference} is confirmed"
    assert email.attempts == 2 and email.sent_at is not None


def test_a_hanging_mail_server_neither_holds_the_webhook_nor_locks_the_order(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    order = make_order()

    with StallingMailServer(stall=1) as mail_server:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", mail_server.port
        pay(client, order)

        assert status_of(order) == Order.Status.PAID
        email = confirmation_of(order)
        assert email.status == OrderEmail.Status.PENDING and mail_server.delivered == []

        sending = threading.Thread(target=send_and_close, args=(email.pk,))
        sending.start()
        try:
            assert mail_server.stalling.wait(timeout=30)
            # While the mail server holds the message, the order and its email row are free.
            with transaction.atomic():
                Order.objects.select_for_update(nowait=True).get(pk=order.pk)
                OrderEmail.objects.select_for_update(nowait=True).get(pk=email.pk)
            assert confirmation_of(order).status == OrderEmail.Status.SENDING
        finally:
            mail_server.release()
            sending.join(timeout=30)

    assert confirmation_of(order).status == OrderEmail.Status.SENT
    assert len(mail_server.delivered) == 1


def send_and_close(email_id: int) -> None:
    try:
        emails.send(email_id)
    finally:
        connections.close_all()
