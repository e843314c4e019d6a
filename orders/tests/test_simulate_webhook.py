"""simulate_webhook sends a running shop the signed events Stripe would send."""

import json
import urllib.error
import urllib.request

import pytest
from django.core.management import CommandError

from orders.management.commands.simulate_webhook import build_event
from orders.models import Order, StripeEvent
from orders.tests.factories import make_order
from orders.tests.helpers import CLOSED_PORT, run_command, status_of
from stripe_emulator.webhooks import signature_header

Status = Order.Status


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

        paid = run_command(
            "simulate_webhook", order.reference, "--event", "completed", "--url", url
        )
        assert status_of(order) == Status.PAID
        refunded = run_command(
            "simulate_webhook", order.reference, "--event", "refunded", "--url", url
        )

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

        run_command(
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
            run_command("simulate_webhook", order.reference, "--event", "completed")

    def test_an_unknown_order(self):
        with pytest.raises(CommandError, match="No order has the reference 'NOSUCHORDER'"):
            run_command("simulate_webhook", "NOSUCHORDER", "--event", "completed")

    def test_a_refund_for_an_order_nobody_paid(self):
        order = make_order()

        with pytest.raises(CommandError, match="has no payment to refund"):
            run_command("simulate_webhook", order.reference, "--event", "refunded")

    def test_a_shop_it_cannot_reach(self):
        order = make_order()

        with pytest.raises(CommandError, match="Could not reach http://127.0.0.1:9/webhook/"):
            run_command(
                "simulate_webhook",
                order.reference,
                "--event",
                "completed",
                "--url",
                f"{CLOSED_PORT}/webhook/",
            )
