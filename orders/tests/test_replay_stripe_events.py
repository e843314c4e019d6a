"""replay_stripe_events applies again the Stripe events the shop failed to apply."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from orders.models import Order, StripeEvent
from orders.tests.factories import make_order, session_object
from orders.tests.helpers import (
    CLOSED_PORT,
    pay_at_stripe,
    post_webhook,
    refuse_changes_to,
    run_command,
    session_at_stripe,
    start_checkout,
    status_of,
)
from stripe_emulator import objects
from stripe_emulator.testing import stripe_client

Status = Order.Status


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

        output = run_command("replay_stripe_events")

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
            run_command("replay_stripe_events", "--failed")

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

        output = run_command("replay_stripe_events", "--since", "1d")

        assert output.strip() == "Replayed 0 event(s)."
        old.refresh_from_db()
        assert old.outcome == StripeEvent.Outcome.FAILED
