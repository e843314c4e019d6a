import json
import secrets
import urllib.error
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from orders.models import Order
from scripts.run_local import SHOP_URL
from shop.money import format_money
from stripe_emulator import objects
from stripe_emulator.webhooks import signature_header

DEFAULT_URL = f"{SHOP_URL}/webhook/"
CHECKOUT_EVENTS = {
    "completed": ("checkout.session.completed", "complete", "paid"),
    "async_succeeded": ("checkout.session.async_payment_succeeded", "complete", "paid"),
    "async_failed": ("checkout.session.async_payment_failed", "complete", "unpaid"),
    "expired": ("checkout.session.expired", "expired", "unpaid"),
}
EVENTS = [*CHECKOUT_EVENTS, "refunded"]


def payment_intent_of(order: Order) -> str:
    """The order's PaymentIntent, or a stand-in for an order Stripe never charged."""
    return order.stripe_payment_intent_id or f"pi_simulated_{order.reference}"


def checkout_session_object(order: Order, status: str, payment_status: str) -> dict:
    return objects.checkout_session(
        order.stripe_checkout_session_id,
        status=status,
        payment_status=payment_status,
        amount_total=order.total_in_cents,
        currency=order.currency,
        client_reference_id=order.reference,
        metadata={"order_reference": order.reference},
        customer_email=order.customer_email or None,
        payment_intent=None if status == "expired" else payment_intent_of(order),
    )


def charge_object(order: Order) -> dict:
    return objects.charge(
        f"ch_simulated_{order.reference}",
        amount=order.total_in_cents,
        amount_refunded=order.total_in_cents,
        currency=order.currency,
        payment_intent=order.stripe_payment_intent_id,
    )


def build_event(order: Order, event: str) -> dict:
    """The event Stripe would send for this order, with a fresh event id."""
    if event == "refunded":
        event_type, data_object = "charge.refunded", charge_object(order)
    else:
        event_type, status, payment_status = CHECKOUT_EVENTS[event]
        data_object = checkout_session_object(order, status, payment_status)
    return objects.event(event_type, data_object, f"evt_simulated_{secrets.token_hex(12)}")


def state_after(order: Order, before: str, url: str) -> str:
    """The order as this shop's database has it now that the webhook has answered."""
    order.refresh_from_db()
    after = order.get_status_display()
    refunded = format_money(order.amount_refunded, order.currency)
    detail = f", {refunded} refunded" if order.amount_refunded else ""
    if after == before:
        return (
            f"Order {order.reference} is still {after}{detail}. If the shop at {url} uses "
            "another database than this command, look there."
        )
    return f"Order {order.reference} is now {after}{detail} (was {before})."


class Command(BaseCommand):
    help = (
        "Send the shop's webhook a Stripe event for an order, signed with "
        "STRIPE_WEBHOOK_SECRET exactly as Stripe signs it; print the answer and the order's "
        "state afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "reference",
            metavar="ORDER_REFERENCE",
            help="The order's reference, as the admin and the order page show it.",
        )
        parser.add_argument(
            "--event",
            required=True,
            choices=EVENTS,
            help="completed, async_succeeded, async_failed and expired send the matching "
            "checkout.session.* event; refunded sends charge.refunded for the whole total.",
        )
        parser.add_argument(
            "--url", default=DEFAULT_URL, help=f"The webhook to post to (default {DEFAULT_URL})."
        )

    def handle(self, *args, reference, event, url, **options):
        secret = settings.STRIPE_WEBHOOK_SECRET
        if not secret:
            raise CommandError(
                "STRIPE_WEBHOOK_SECRET is not set, so there is nothing to sign the event with "
                "and the shop would refuse it. Set it to your endpoint's whsec_... secret."
            )
        order = Order.objects.filter(reference=reference.strip().upper()).first()
        if order is None:
            raise CommandError(f"No order has the reference {reference!r}.")
        if not order.stripe_checkout_session_id:
            raise CommandError(f"Order {order.reference} never reached Stripe Checkout.")
        if event == "refunded" and not order.stripe_payment_intent_id:
            raise CommandError(
                f"Order {order.reference} has no payment to refund; "
                "simulate a completed payment first."
            )
        before = order.get_status_display()
        body = json.dumps(build_event(order, event)).encode()
        status, answer = self.post(url, body, signature_header(body, secret))
        self.stdout.write(f"{status} {answer}")
        if status >= 300:
            raise CommandError(f"The webhook answered {status}.")
        self.stdout.write(state_after(order, before, url))

    def post(self, url: str, body: bytes, signature: str) -> tuple[int, str]:
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Stripe-Signature": signature},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read().decode(errors="replace")
        except (urllib.error.URLError, TimeoutError) as error:
            reason = getattr(error, "reason", error)
            raise CommandError(
                f"Could not reach {url}: {reason}. Is the shop running there?"
            ) from None
