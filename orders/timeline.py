"""An order's story for staff, oldest first: its lifecycle moments and what staff did to it."""

from dataclasses import dataclass
from datetime import datetime

from shop.money import format_money

from .models import Order, OrderEvent, StripeEvent
from .money import from_cents

STRIPE = "Stripe"
SHOPPER = "Shopper"
DELETED_ACCOUNT = "an account since deleted"


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    what: str
    who: str
    detail: str = ""
    kind: str = ""


def staff_name(user) -> str:
    if user is None:
        return DELETED_ACCOUNT
    return user.get_full_name() or user.get_username()


def order_timeline(order: Order) -> list[TimelineEntry]:
    """Created, paid, each refund Stripe reported, reviews, shipments, deliveries and notes."""
    entries = [TimelineEntry(order.created_at, "Checkout started", SHOPPER, kind="created")]
    if order.paid_at:
        entries.append(TimelineEntry(order.paid_at, "Paid", STRIPE, kind="paid"))
    entries += _refunds(order)
    if order.reviewed_at:
        entries.append(
            TimelineEntry(
                order.reviewed_at, "Marked reviewed", staff_name(order.reviewed_by), kind="reviewed"
            )
        )
    for event in order.events.select_related("author"):
        entries.append(
            TimelineEntry(
                event.created_at,
                event.get_kind_display(),
                staff_name(event.author),
                _describe(order, event),
                kind=event.kind,
            )
        )
    return sorted(entries, key=lambda entry: entry.at)


def _describe(order: Order, event: OrderEvent) -> str:
    if event.kind == OrderEvent.Kind.SHIPPED:
        tracking = f", tracking number {order.tracking_number}" if order.tracking_number else ""
        return f"With {order.carrier}{tracking}."
    return event.text


def _refunds(order: Order) -> list[TimelineEntry]:
    """One entry per charge.refunded Stripe delivered that the shop recorded."""
    reported = order.stripe_events.filter(
        type="charge.refunded", outcome=StripeEvent.Outcome.PROCESSED
    )
    entries = []
    for event in reported:
        charge = (event.payload.get("data") or {}).get("object") or {}
        refunded = charge.get("amount_refunded")
        detail = ""
        if isinstance(refunded, int) and charge.get("currency") == order.currency:
            detail = f"{format_money(from_cents(refunded), order.currency)} refunded in all."
        at = event.processed_at or event.received_at
        entries.append(TimelineEntry(at, "Refund", STRIPE, detail, kind="refund"))
    return entries
