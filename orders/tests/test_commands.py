"""The shop's management commands, run as cron and operators run them, against the emulator."""

import io
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from orders import checkout
from orders.management.commands.simulate_webhook import build_event
from orders.models import Order, OrderItem, StripeEvent
from orders.tests.factories import make_order, session_object
from orders.tests.helpers import pay_at_stripe, post_webhook, start_checkout
from products.seed import STARTER_PRODUCTS
from stripe_emulator import objects
from stripe_emulator.testing import stripe_client
from stripe_emulator.webhooks import signature_header

Status = Order.Status
CLOSED_PORT = "http://127.0.0.1:9"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def status_of(order: Order) -> str:
    order.refresh_from_db()
    return order.status


def session_at_stripe(emulator, order: Order) -> dict:
    client = stripe_client(emulator.base_url, "sk_test_suite")
    return client.v1.checkout.sessions.retrieve(order.stripe_checkout_session_id).to_dict()


def abandon(order: Order) -> Order:
    """The shopper left Stripe's page open and never came back."""
    Order.objects.filter(pk=order.pk).update(
        checkout_expires_at=timezone.now() - timedelta(minutes=5)
    )
    return order


def refuse_changes_to(order: Order) -> None:
    """The database refuses every change to this order, as a failing disk or constraint would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE OR REPLACE FUNCTION refuse_order_change() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'order % cannot be written', OLD.reference; END $$ "
            "LANGUAGE plpgsql"
        )
        cursor.execute(
            f"CREATE TRIGGER refuse_order_change BEFORE UPDATE ON {Order._meta.db_table} "
            f"FOR EACH ROW WHEN (OLD.reference = '{order.reference}') "
            "EXECUTE FUNCTION refuse_order_change()"
        )


@pytest.fixture
def lamp(make_product):
    return make_product("Desk Lamp", "25.00")


@pytest.mark.django_db
class TestReconcileOrders:
    def test_heals_an_order_whose_webhook_never_arrived(
        self, stripe_emulator, lamp, django_capture_on_commit_callbacks
    ):
        order = start_checkout((lamp, 2))
        pay_at_stripe(stripe_emulator, order)

        with django_capture_on_commit_callbacks(execute=True):
            output = run("reconcile_orders")

        assert status_of(order) == Status.PAID
        assert order.stripe_payment_intent_id.startswith("pi_")
        assert [message.to for message in mail.outbox] == [["customer@example.com"]]
        assert f"{order.reference}  pending -> paid" in output
        assert "checked" in output and "  now paid" in output
        lines = dict(line.rsplit(None, 1) for line in output.splitlines()[1:])
        assert lines["checked"] == "1" and lines["changed"] == "1"

    def test_expires_an_abandoned_checkout_at_stripe_and_cancels_the_order(
        self, stripe_emulator, lamp
    ):
        order = abandon(start_checkout((lamp, 1)))

        output = run("reconcile_orders")

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

        output = run("reconcile_orders")

        assert status_of(order) == Status.CANCELLED and not order.checkout_open
        assert f"{order.reference}  pending -> cancelled" in output

    def test_leaves_a_checkout_the_shopper_is_still_on_alone(self, stripe_emulator, lamp):
        order = start_checkout((lamp, 1))

        output = run("reconcile_orders")

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
            output = run("reconcile_orders", "--dry-run")

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

        assert f"{order.reference}" not in run("reconcile_orders")
        output = run("reconcile_orders", "--since", "2h")

        assert status_of(order) == Status.PAID
        assert f"{order.reference}  cancelled -> paid" in output

    def test_since_leaves_out_orders_created_before_the_window(self, stripe_emulator, lamp):
        order = start_checkout((lamp, 1))
        pay_at_stripe(stripe_emulator, order)
        Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=3))

        run("reconcile_orders", "--since", "2d")

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
        assert [message.to for message in mail.outbox] == [["customer@example.com"]]

    def test_dry_run_says_each_change_once_and_logs_no_change_it_does_not_make(
        self, stripe_emulator, lamp, caplog
    ):
        order = start_checkout((lamp, 1))
        pay_at_stripe(stripe_emulator, order)
        caplog.set_level(logging.INFO, logger="orders")

        output = run("reconcile_orders", "--dry-run")

        assert output.count(f"{order.reference}  pending -> paid") == 1
        assert [
            record.getMessage() for record in caplog.records if "->" in record.getMessage()
        ] == []
        assert status_of(order) == Status.PENDING

    @pytest.mark.parametrize("window", ["2 days", "2w", "-1h", "h"])
    def test_a_window_it_cannot_read_is_a_clear_error(self, window):
        with pytest.raises(CommandError, match="like 30m, 12h or 2d"):
            run("reconcile_orders", f"--since={window}")

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
        assert "\r" not in run("reconcile_orders")


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
            outputs.append(run("reconcile_orders"))
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
            outputs.append(run("reconcile_orders"))
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


def post_raw(url: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        with error:
            return error.code


@pytest.mark.django_db(transaction=True)
class TestSimulateWebhook:
    def test_signed_events_are_accepted_by_the_running_shop(self, live_server):
        order = make_order()
        url = f"{live_server.url}/webhook/"

        paid = run("simulate_webhook", order.reference, "--event", "completed", "--url", url)
        assert status_of(order) == Status.PAID
        refunded = run("simulate_webhook", order.reference, "--event", "refunded", "--url", url)

        assert paid.startswith('200 {"received": true, "outcome": "processed"}')
        assert refunded.startswith("200 ")
        assert status_of(order) == Status.REFUNDED
        assert order.amount_refunded == order.total
        assert StripeEvent.objects.filter(order=order).count() == 2

    def test_the_same_body_unsigned_or_signed_with_another_secret_is_refused(self, live_server):
        order = make_order()
        body = json.dumps(build_event(order, "completed")).encode()
        url = f"{live_server.url}/webhook/"
        json_type = {"Content-Type": "application/json"}

        unsigned = post_raw(url, body, json_type)
        wrong_secret = post_raw(
            url, body, {**json_type, "Stripe-Signature": signature_header(body, "whsec_other")}
        )

        assert (unsigned, wrong_secret) == (400, 400)
        assert status_of(order) == Status.PENDING
        assert StripeEvent.objects.count() == 0

    @pytest.mark.parametrize(
        ("event", "status"),
        [("async_failed", Status.FAILED), ("expired", Status.CANCELLED)],
    )
    def test_failed_and_expired_checkouts_reach_the_shop_as_stripe_sends_them(
        self, live_server, event, status
    ):
        order = make_order(checkout_open=False)

        run(
            "simulate_webhook",
            order.reference,
            "--event",
            event,
            "--url",
            f"{live_server.url}/webhook/",
        )

        assert status_of(order) == status


@pytest.mark.django_db
class TestSimulateWebhookRefuses:
    def test_to_run_without_a_signing_secret(self, settings):
        settings.STRIPE_WEBHOOK_SECRET = ""
        order = make_order()

        with pytest.raises(CommandError, match="STRIPE_WEBHOOK_SECRET is not set"):
            run("simulate_webhook", order.reference, "--event", "completed")

    def test_an_unknown_order(self):
        with pytest.raises(CommandError, match="No order has the reference 'NOSUCHORDER'"):
            run("simulate_webhook", "NOSUCHORDER", "--event", "completed")

    def test_a_refund_for_an_order_nobody_paid(self):
        order = make_order()

        with pytest.raises(CommandError, match="has no payment to refund"):
            run("simulate_webhook", order.reference, "--event", "refunded")

    def test_a_shop_it_cannot_reach(self):
        order = make_order()

        with pytest.raises(CommandError, match="Could not reach http://127.0.0.1:9/webhook/"):
            run(
                "simulate_webhook",
                order.reference,
                "--event",
                "completed",
                "--url",
                f"{CLOSED_PORT}/webhook/",
            )


@pytest.mark.django_db
class TestReplayStripeEvents:
    def failed_refund_event(self, client, emulator, lamp, settings) -> tuple[Order, StripeEvent]:
        """A refund made at Stripe for an order whose payment webhook never arrived; the
        charge.refunded delivery fails because Stripe could not be asked about the payment."""
        order = start_checkout((lamp, 2))
        pay_at_stripe(emulator, order)
        intent = session_at_stripe(emulator, order)["payment_intent"]
        refund = stripe_client(emulator.base_url, "sk_test_suite").v1.refunds.create(
            params={"payment_intent": intent}
        )
        assert refund["amount"] == 5000
        [event] = [
            listed.to_dict()
            for listed in stripe_client(emulator.base_url, "sk_test_suite")
            .v1.events.list(params={"type": "charge.refunded"})
            .data
        ]
        settings.STRIPE_API_BASE = CLOSED_PORT
        settings.STRIPE_TIME_BUDGET_SECONDS = 3.0
        assert post_webhook(client, event).status_code == 503
        settings.STRIPE_API_BASE = emulator.base_url
        return order, StripeEvent.objects.get(stripe_event_id=event["id"])

    def test_reapplies_a_failed_event_once_stripe_answers(
        self, client, stripe_emulator, lamp, settings
    ):
        order, record = self.failed_refund_event(client, stripe_emulator, lamp, settings)
        assert record.outcome == StripeEvent.Outcome.FAILED

        output = run("replay_stripe_events")

        record.refresh_from_db()
        assert record.outcome == StripeEvent.Outcome.PROCESSED and record.order == order
        assert status_of(order) == Status.REFUNDED
        assert f"{record.stripe_event_id}  charge.refunded  failed -> processed" in output
        assert f"order {order.reference}" in output
        assert "Replayed 1 event(s): 1 processed." in output

    def test_an_event_that_still_fails_is_reported_and_fails_the_run(
        self, client, stripe_emulator, lamp, settings
    ):
        order, record = self.failed_refund_event(client, stripe_emulator, lamp, settings)
        settings.STRIPE_API_BASE = CLOSED_PORT

        with pytest.raises(CommandError, match="1 event\\(s\\) still failed"):
            run("replay_stripe_events", "--failed")

        assert status_of(order) == Status.PENDING

    def test_an_event_that_fails_is_reported_and_the_events_after_it_are_still_applied(self):
        broken, healthy = make_order(owner_key="session:one"), make_order(owner_key="session:two")
        records = []
        for order in (broken, healthy):
            event = objects.event("checkout.session.completed", session_object(order))
            records.append(
                StripeEvent.objects.create(
                    stripe_event_id=event["id"],
                    type=event["type"],
                    outcome=StripeEvent.Outcome.FAILED,
                    payload=event,
                )
            )
        refuse_changes_to(broken)
        output, errors = io.StringIO(), io.StringIO()

        with pytest.raises(CommandError, match="1 event\\(s\\) still failed"):
            call_command("replay_stripe_events", stdout=output, stderr=errors)

        assert status_of(healthy) == Status.PAID
        assert status_of(broken) == Status.PENDING
        broken_record, healthy_record = records
        broken_record.refresh_from_db()
        healthy_record.refresh_from_db()
        assert broken_record.outcome == StripeEvent.Outcome.FAILED
        assert healthy_record.outcome == StripeEvent.Outcome.PROCESSED
        assert f"{broken_record.stripe_event_id}  checkout.session.completed  failed: " in (
            errors.getvalue()
        )
        assert "cannot be written" in errors.getvalue()
        assert (
            f"{healthy_record.stripe_event_id}  checkout.session.completed  failed -> processed"
            in (output.getvalue())
        )

    def test_processed_and_old_events_are_left_alone(self, client, settings):
        order = make_order()
        processed = objects.event(
            "checkout.session.completed", {"id": order.stripe_checkout_session_id}
        )
        StripeEvent.objects.create(
            stripe_event_id=processed["id"],
            type=processed["type"],
            outcome=StripeEvent.Outcome.PROCESSED,
            payload=processed,
        )
        old = StripeEvent.objects.create(
            stripe_event_id="evt_old",
            type="checkout.session.completed",
            outcome=StripeEvent.Outcome.FAILED,
            payload=objects.event("checkout.session.completed", {"id": "cs_unknown"}, "evt_old"),
        )
        StripeEvent.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=3))

        output = run("replay_stripe_events", "--since", "1d")

        assert output.strip() == "Replayed 0 event(s)."
        old.refresh_from_db()
        assert old.outcome == StripeEvent.Outcome.FAILED


@pytest.mark.django_db
class TestSeedShopDemoOrders:
    def test_creates_mixed_orders_from_the_starter_products_once(self):
        output = run("seed_shop", "--demo-orders", "15")
        again = run("seed_shop", "--demo-orders", "15")

        demo = Order.objects.filter(stripe_checkout_session_id__startswith="cs_test_demo_")
        assert demo.count() == 15
        assert "15 demo orders added." in output and "0 demo orders added." in again
        assert len(set(demo.values_list("status", flat=True))) >= 3
        two_weeks_ago = timezone.now() - timedelta(days=14, minutes=1)
        assert not demo.filter(created_at__lt=two_weeks_ago).exists()
        prices = {fields["name"]: fields["price"] for fields in STARTER_PRODUCTS}
        for item in OrderItem.objects.filter(order__in=demo):
            assert item.unit_price == prices[item.product_name]
            assert item.product.name == item.product_name
        for order in demo.prefetch_related("items"):
            assert order.total == sum(item.line_total for item in order.items.all())
        assert mail.outbox == []

    def test_tops_up_to_the_number_asked_for(self):
        run("seed_shop", "--demo-orders", "3")
        run("seed_shop", "--demo-orders", "5")

        assert Order.objects.count() == 5

    def test_a_negative_number_is_a_clear_error(self):
        with pytest.raises(CommandError, match="0 or more"):
            run("seed_shop", "--demo-orders", "-1")
