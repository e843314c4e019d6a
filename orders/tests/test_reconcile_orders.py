"""reconcile_orders, run as cron and operators run it, against the emulator."""

import io
import logging
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connections, transaction
from django.utils import timezone

from orders import checkout
from orders.models import Order
from orders.tests.helpers import (
    CLOSED_PORT,
    pay_at_stripe,
    refuse_changes_to,
    run_command,
    run_queued_tasks,
    session_at_stripe,
    start_checkout,
    status_of,
)

Status = Order.Status


class Terminal(io.StringIO):
    def isatty(self):
        return True


def abandon(order: Order) -> Order:
    """The shopper left Stripe's page open and never came back."""
    Order.objects.filter(pk=order.pk).update(
        checkout_expires_at=timezone.now() - timedelta(minutes=5)
    )
    return order


@pytest.mark.django_db
class TestReconcileOrders:
    def test_heals_an_order_whose_webhook_never_arrived(
        self, stripe_emulator, lamp, django_capture_on_commit_callbacks
    ):
        order = start_checkout((lamp, 2))
        pay_at_stripe(stripe_emulator, order)

        with django_capture_on_commit_callbacks(execute=True):
            output = run_command("reconcile_orders")

        assert status_of(order) == Status.PAID
        assert order.stripe_payment_intent_id.startswith("pi_")
        run_queued_tasks()
        assert [message.to for message in mail.outbox] == [["customer@example.com"]]
        assert f"{order.reference}  pending -> paid" in output
        assert "checked" in output and "  now paid" in output
        lines = dict(line.rsplit(None, 1) for line in output.splitlines()[1:])
        assert lines["checked"] == "1" and lines["changed"] == "1"

    def test_expires_an_abandoned_checkout_at_stripe_and_cancels_the_order(
        self, stripe_emulator, lamp
    ):
        order = abandon(start_checkout((lamp, 1)))

        output = run_command("reconcile_orders")

        assert status_of(order) == Status.CANCELLED and not order.checkout_open
        assert session_at_stripe(stripe_emulator, order)["status"] == "expired"
        assert f"{order.reference}  pending -> cancelled" in output

    def test_cancels_an_order_whose_checkout_never_opened_once_its_time_is_up(
        self, stripe_emulator, lamp, settings
    ):
        settings.STRIPE_API_BASE = CLOSED_PORT
        with pytest.raises(checkout.CheckoutUnavailable):
            start_checkout((lamp, 1))
        settings.STRIPE_API_BASE = stripe_emulator.base_url
        order = abandon(Order.objects.get())

        output = run_command("reconcile_orders")

        assert status_of(order) == Status.CANCELLED and not order.checkout_open
        assert f"{order.reference}  pending -> cancelled" in output

    def test_leaves_a_checkout_the_shopper_is_still_on_alone(self, stripe_emulator, lamp):
        order = start_checkout((lamp, 1))

        output = run_command("reconcile_orders")

        assert status_of(order) == Status.PENDING and order.checkout_open
        assert session_at_stripe(stripe_emulator, order)["status"] == "open"
        assert "pending ->" not in output

    def test_dry_run_reports_what_would_change_and_changes_nothing(
        self, stripe_emulator, lamp, make_product, django_capture_on_commit_callbacks
    ):
        paid_at_stripe = start_checkout((lamp, 1))
        pay_at_stripe(stripe_emulator, paid_at_stripe)
        abandoned = abandon(start_checkout((make_product("Kettle", "30.00"), 1)))

        with django_capture_on_commit_callbacks(execute=True):
            output = run_command("reconcile_orders", "--dry-run")

        assert "Dry run: nothing was changed." in output
        assert f"{paid_at_stripe.reference}  pending -> paid" in output
        assert f"{abandoned.reference}  pending -> cancelled" in output
        assert "would change" in output
        assert status_of(paid_at_stripe) == Status.PENDING
        assert paid_at_stripe.stripe_payment_intent_id == ""
        assert status_of(abandoned) == Status.PENDING and abandoned.checkout_open
        assert session_at_stripe(stripe_emulator, abandoned)["status"] == "open"
        assert mail.outbox == []

    def test_since_also_checks_recent_orders_that_are_no_longer_pending(
        self, stripe_emulator, lamp
    ):
        # The shopper paid at the very moment the shop closed their checkout.
        order = start_checkout((lamp, 1))
        pay_at_stripe(stripe_emulator, order)
        Order.objects.filter(pk=order.pk).update(status=Status.CANCELLED, checkout_open=False)

        assert f"{order.reference}" not in run_command("reconcile_orders")
        output = run_command("reconcile_orders", "--since", "2h")

        assert status_of(order) == Status.PAID
        assert f"{order.reference}  cancelled -> paid" in output

    def test_since_leaves_out_orders_created_before_the_window(self, stripe_emulator, lamp):
        order = start_checkout((lamp, 1))
        pay_at_stripe(stripe_emulator, order)
        Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=3))

        run_command("reconcile_orders", "--since", "2d")

        assert status_of(order) == Status.PENDING

    def test_an_order_that_fails_is_reported_and_the_orders_after_it_are_still_healed(
        self, stripe_emulator, lamp, django_capture_on_commit_callbacks
    ):
        broken, healthy = start_checkout((lamp, 1)), start_checkout((lamp, 2))
        pay_at_stripe(stripe_emulator, broken)
        pay_at_stripe(stripe_emulator, healthy)
        refuse_changes_to(broken)
        output, errors = io.StringIO(), io.StringIO()

        with (
            pytest.raises(CommandError, match="1 order"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            call_command("reconcile_orders", stdout=output, stderr=errors)

        assert status_of(healthy) == Status.PAID
        assert status_of(broken) == Status.PENDING and broken.stripe_payment_intent_id == ""
        assert f"{healthy.reference}  pending -> paid" in output.getvalue()
        assert f"{broken.reference}  failed: " in errors.getvalue()
        assert "cannot be written" in errors.getvalue()
        run_queued_tasks()
        assert [message.to for message in mail.outbox] == [["customer@example.com"]]

    def test_dry_run_says_each_change_once_and_logs_no_change_it_does_not_make(
        self, stripe_emulator, lamp, caplog
    ):
        order = start_checkout((lamp, 1))
        pay_at_stripe(stripe_emulator, order)
        caplog.set_level(logging.INFO, logger="orders")

        output = run_command("reconcile_orders", "--dry-run")

        assert output.count(f"{order.reference}  pending -> paid") == 1
        assert [
            record.getMessage() for record in caplog.records if "->" in record.getMessage()
        ] == []
        assert status_of(order) == Status.PENDING

    @pytest.mark.parametrize("window", ["2 days", "2w", "-1h", "h"])
    def test_a_window_it_cannot_read_is_a_clear_error(self, window):
        with pytest.raises(CommandError, match="like 30m, 12h or 2d"):
            run_command("reconcile_orders", f"--since={window}")

    def test_orders_stripe_cannot_be_asked_about_are_reported_and_fail_the_run(
        self, stripe_emulator, lamp, settings
    ):
        order = start_checkout((lamp, 1))
        settings.STRIPE_API_BASE = CLOSED_PORT
        settings.STRIPE_TIME_BUDGET_SECONDS = 3.0
        errors = io.StringIO()

        with pytest.raises(CommandError, match="1 order"):
            call_command("reconcile_orders", stdout=io.StringIO(), stderr=errors)

        assert f"{order.reference}  failed: " in errors.getvalue()
        assert status_of(order) == Status.PENDING

    def test_progress_bar_is_drawn_only_on_a_terminal(self, stripe_emulator, lamp):
        start_checkout((lamp, 1))
        terminal = Terminal()

        call_command("reconcile_orders", stdout=terminal)

        assert "\r[" + "#" * 30 + "] 1/1" in terminal.getvalue()
        assert "\r" not in run_command("reconcile_orders")


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_pay_each_order_once_and_send_one_email_each(stripe_emulator, lamp):
    orders = [start_checkout((lamp, 1)) for _ in range(4)]
    for order in orders:
        pay_at_stripe(stripe_emulator, order)
    start = threading.Barrier(2)
    outputs, errors = [], []

    def cron_run():
        try:
            start.wait()
            outputs.append(run_command("reconcile_orders"))
        except Exception as error:
            # A thread's exception would otherwise vanish; the test asserts there were none.
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cron_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    for order in orders:
        assert status_of(order) == Status.PAID
        transitions = f"{order.reference}  pending -> paid"
        assert sum(transitions in output for output in outputs) == 1
    assert run_queued_tasks() == len(orders)
    assert len(mail.outbox) == len(orders)


@pytest.mark.django_db(transaction=True)
def test_a_slow_stripe_never_holds_the_order_that_reconciling_asks_about(
    stripe_emulator, lamp, settings
):
    order = start_checkout((lamp, 1))
    pay_at_stripe(stripe_emulator, order)
    stripe_emulator.set_network_faults(delay_seconds=1.5)
    outputs, errors = [], []

    def cron_run():
        try:
            outputs.append(run_command("reconcile_orders"))
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    cron = threading.Thread(target=cron_run)
    cron.start()
    time.sleep(0.4)
    # Meanwhile a webhook for this order wants its row: it must get it without waiting.
    started = time.monotonic()
    with transaction.atomic():
        Order.objects.select_for_update(nowait=True).get(pk=order.pk)
    waited = time.monotonic() - started
    cron.join(timeout=60)

    assert waited < 0.5
    assert errors == []
    assert status_of(order) == Status.PAID
    assert f"{order.reference}  pending -> paid" in outputs[0]
