"""The orders' periodic jobs, run from the queue as the scheduler leaves them."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from orders import tasks
from orders.models import Order
from orders.tests.helpers import pay_at_stripe, run_queued_tasks, session_at_stripe, start_checkout

pytestmark = pytest.mark.django_db

Status = Order.Status


def overdue(order: Order) -> Order:
    Order.objects.filter(pk=order.pk).update(
        checkout_expires_at=timezone.now() - timedelta(minutes=5)
    )
    return order


def run(task) -> DBTaskResult:
    with transaction.atomic():
        result = task.enqueue()
    run_queued_tasks()
    return DBTaskResult.objects.get(pk=result.id)


def test_abandoned_checkouts_are_expired_at_stripe_and_cancelled(stripe_emulator, lamp):
    abandoned = overdue(start_checkout((lamp, 1)))
    still_open = start_checkout((lamp, 2))
    paid_late = overdue(start_checkout((lamp, 3)))
    pay_at_stripe(stripe_emulator, paid_late)

    result = run(tasks.expire_abandoned_checkouts)

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {"checked": 2, "changed": {"cancelled": 1, "paid": 1}}
    abandoned.refresh_from_db()
    assert abandoned.status == Status.CANCELLED and not abandoned.checkout_open
    assert session_at_stripe(stripe_emulator, abandoned)["status"] == "expired"
    assert Order.objects.get(pk=still_open.pk).has_open_checkout
    assert Order.objects.get(pk=paid_late.pk).status == Status.PAID


def test_reconciling_on_schedule_catches_up_an_order_whose_webhook_never_came(
    stripe_emulator, lamp
):
    order = start_checkout((lamp, 1))
    pay_at_stripe(stripe_emulator, order)

    result = run(tasks.reconcile_orders)

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert Order.objects.get(pk=order.pk).status == Status.PAID
    # Its confirmation was queued with the payment and has gone out from the queue too.
    assert order.emails.get().status == "sent"
