"""A mail server that keeps refusing: retried with growing pauses, then shown to staff."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from background import engine
from orders import emails, tasks
from orders.models import Order, OrderEmail
from orders.tests.factories import make_order
from orders.tests.helpers import (
    admin_order_url,
    bring_deferred_tasks_forward,
    run_command,
    run_queued_tasks,
)

pytestmark = pytest.mark.django_db

BACKGROUND_PANEL = 'id="shop-background-work-section"'


@pytest.fixture
def mail_server_down(monkeypatch):
    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(emails.EmailMultiAlternatives, "send", refuse)
    return monkeypatch


def queued_confirmation() -> OrderEmail:
    order = make_order(status=Order.Status.PAID, paid_at=timezone.now())
    with transaction.atomic():
        emails.queue_confirmation(order)
    return order.emails.get()


def waiting_retry() -> DBTaskResult:
    return DBTaskResult.objects.get(status=TaskResultStatus.READY)


def test_a_refused_email_is_tried_again_after_one_two_four_then_eight_minutes(mail_server_down):
    email = queued_confirmation()
    pauses = []

    for _ in range(emails.MAX_ATTEMPTS - 1):
        run_queued_tasks()
        retry = waiting_retry()
        pauses.append(round((retry.run_after - retry.enqueued_at).total_seconds() / 60))
        assert run_queued_tasks() == 0
        bring_deferred_tasks_forward()

    assert pauses == [1, 2, 4, 8]
    email.refresh_from_db()
    assert email.status == OrderEmail.Status.PENDING and email.attempts == 4
    assert email.last_error == "ConnectionRefusedError: mail server down"


def test_an_email_refused_five_times_is_given_up_shown_to_staff_and_can_be_retried(
    mail_server_down, manager_client, caplog
):
    email = queued_confirmation()
    for _ in range(emails.MAX_ATTEMPTS):
        bring_deferred_tasks_forward()
        run_queued_tasks()

    email.refresh_from_db()
    assert email.status == OrderEmail.Status.FAILED and email.attempts == emails.MAX_ATTEMPTS
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()
    assert f"email for order {email.order.reference} failed 5 times" in caplog.text
    dashboard = manager_client.get("/admin/").content.decode()
    panel = dashboard[dashboard.index(BACKGROUND_PANEL) :]
    assert f"Order {email.order.reference}" in panel
    assert "Order confirmed: failed after 5 tries" in panel
    assert admin_order_url(email.order) in panel
    order_page = manager_client.get(admin_order_url(email.order)).content.decode()
    assert "data-order-emails" in order_page and "mail server down" in order_page

    mail_server_down.undo()
    assert "Queued 1 email to be sent again." in run_command("retry_failed_emails")
    run_queued_tasks()
    email.refresh_from_db()
    assert email.status == OrderEmail.Status.SENT and len(mail.outbox) == 1


def test_the_order_page_shows_which_emails_were_sent_and_when(manager_client):
    email = queued_confirmation()
    run_queued_tasks()

    page = manager_client.get(admin_order_url(email.order)).content.decode()

    emails_section = page[page.index("data-order-emails") :]
    assert "Order confirmed" in emails_section and "Sent" in emails_section
    email.refresh_from_db()
    assert f"{timezone.localtime(email.sent_at):%-d %b %Y, %H:%M:%S}" in emails_section
    assert len(mail.outbox) == 1


def test_a_task_left_running_by_a_killed_worker_runs_again_after_the_lease(settings):
    email = queued_confirmation()
    task = DBTaskResult.objects.get()
    task.claim("killed-worker")
    settings.SHOP_TASK_LEASE_SECONDS = 60

    assert engine.requeue_stale_tasks() == 0
    assert engine.requeue_stale_tasks(timezone.now() + timedelta(seconds=61)) == 1
    assert run_queued_tasks() == 1

    email.refresh_from_db()
    assert email.status == OrderEmail.Status.SENT
    task.refresh_from_db()
    assert task.worker_ids[0] == "killed-worker" and len(task.worker_ids) == 2
    assert len(mail.outbox) == 1


def test_a_failed_task_is_shown_to_staff_with_the_orders_it_could_not_reconcile(
    manager_client, settings
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    settings.STRIPE_TIME_BUDGET_SECONDS = 3
    order = make_order()

    with transaction.atomic():
        tasks.reconcile_orders.enqueue()
    run_queued_tasks()

    assert DBTaskResult.objects.get().status == TaskResultStatus.FAILED
    dashboard = manager_client.get("/admin/").content.decode()
    panel = dashboard[dashboard.index(BACKGROUND_PANEL) :]
    assert "reconcile_orders" in panel
    assert f"OrdersNotReconciled: {order.reference}" in panel
